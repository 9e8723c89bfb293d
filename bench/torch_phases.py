#!/usr/bin/env python3
"""PyTorch's CPU engine on exp2's step, phase by phase: the reference script's model, augmentation
and recipe, timed the way ember's exp2 splits a step (PhaseTimer's phases).

  torch_phases.py REFERENCE_PY IMAGES [--threads N] [--batch 128] [--seed 0]
      IMAGES: N×3072 bytes of CHW uint8 pixels, then N label bytes (what ember.bench.TorchAB
      writes). Prints "ready ...", then per line "epoch K" read from stdin trains one epoch
      (N // batch steps, shuffled, augmented) and prints one line:
      "torch steps S loader L forward F backward B update U" (seconds).
  torch_phases.py REFERENCE_PY --profile STEPS [--threads N] [--batch 128]
      torch.profiler over STEPS training steps on random images (after as many to warm up):
      each op's CPU time per step by input shape, largest first.

Phases: loader = the batch's augmentation, normalisation and label tensor (the host's work
before the step); forward = model(x); backward = loss, zero_grad and loss.backward();
update = optimizer.step(). CPU ops return when done, so perf_counter times them.
"""
import argparse
import importlib.util
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

IMAGE_BYTES = 3 * 32 * 32


def reference_module(path):
    spec = importlib.util.spec_from_file_location("resnet20_torch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_images(path):
    """The images laid out as the reference script's loader leaves them: it stacks HWC pixels
    transposed, so its (N, 3, 32, 32) array is channels-last in memory, every batch it augments
    is too, and PyTorch runs the whole network channels-last (oneDNN: about 15-20 % faster per
    step than from a contiguous NCHW array on a 2-core Xeon VM)."""
    raw = np.fromfile(path, dtype=np.uint8)
    n = raw.size // (IMAGE_BYTES + 1)
    chw = raw[:n * IMAGE_BYTES].reshape(n, 3, 32, 32)
    return chw.transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2), raw[n * IMAGE_BYTES:].astype(np.int64)


def train_epoch(ref, model, opt, x_all, y_all, batch, rng):
    device = torch.device("cpu")
    perm = rng.permutation(len(x_all))
    steps = len(x_all) // batch
    seconds = [0.0] * 4
    model.train()
    for s in range(steps):
        idx = perm[s * batch:(s + 1) * batch]
        t0 = time.perf_counter()
        x = ref.normalize(ref.augment(x_all[idx], rng), device)
        y = torch.from_numpy(y_all[idx])
        t1 = time.perf_counter()
        logits = model(x)
        t2 = time.perf_counter()
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t3 = time.perf_counter()
        opt.step()
        t4 = time.perf_counter()
        for i, (a, b) in enumerate(((t0, t1), (t1, t2), (t2, t3), (t3, t4))):
            seconds[i] += b - a
    return steps, seconds


def serve(ref, args):
    x_all, y_all = read_images(args.images)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = ref.ResNet20()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    print(f"ready torch {torch.__version__} threads {torch.get_num_threads()} images {len(x_all)}"
          f" {torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'}", flush=True)
    for line in sys.stdin:
        if not line.startswith("epoch"):
            continue
        steps, (loader, forward, backward, update) = train_epoch(ref, model, opt, x_all, y_all, args.batch, rng)
        print(f"torch steps {steps} loader {loader:.4f} forward {forward:.4f} backward {backward:.4f}"
              f" update {update:.4f}", flush=True)


def profile(ref, args):
    torch.manual_seed(args.seed)
    model = ref.ResNet20().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(args.batch, 3, 32, 32).contiguous(memory_format=torch.channels_last)  # as read_images
    y = torch.randint(0, 10, (args.batch,))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(args.profile):
        step()
    from torch.profiler import ProfilerActivity, profile as torch_profile
    start = time.perf_counter()
    with torch_profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(args.profile):
            step()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads: step {1e3 * (time.perf_counter() - start) / args.profile:.1f} ms"
          " (profiled)")
    events = prof.key_averages(group_by_input_shape=True)
    rows = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)
    for e in rows:
        if e.self_cpu_time_total / args.profile < 50:  # µs per step: skip the dust
            continue
        print(f"{e.self_cpu_time_total / 1e3 / args.profile:8.2f} ms self {e.cpu_time_total / 1e3 / args.profile:8.2f} ms total"
              f"  {e.count // args.profile:3d} per step  {e.key}  {e.input_shapes}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("images", nargs="?")
    ap.add_argument("--profile", type=int, default=0)
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ref = reference_module(args.reference)
    if args.profile:
        profile(ref, args)
    else:
        serve(ref, args)


if __name__ == "__main__":
    sys.exit(main())
