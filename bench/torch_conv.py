"""PyTorch's CPU convolutions pass by pass, on ConvBenchmark's shapes, channels-last as the
reference script trains: forward, backward-data and weight gradient each on their own
(aten.convolution_backward with one output selected), median ms of --repeats calls.

    /usr/bin/python3 bench/torch_conv.py [--threads 2] [--repeats 40]
"""
import argparse
import time

import torch

# ConvBenchmark's stages: in>out channels @ input side / stride, kernel (batch 128, padding
# kernel // 2): the 3x3 ones of each stage, the stem, and the two 1x1 stride-2 shortcuts.
STAGES = [(16, 16, 32, 1, 3), (32, 32, 16, 1, 3), (64, 64, 8, 1, 3), (16, 32, 32, 2, 3), (32, 64, 16, 2, 3),
          (3, 16, 32, 1, 3), (16, 32, 32, 2, 1), (32, 64, 16, 2, 1)]


def median_ms(call, repeats):
    for _ in range(5):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    backward = torch.ops.aten.convolution_backward
    print(f"torch {torch.__version__}, {args.threads} threads, channels-last, median ms of {args.repeats}")
    print(f"{'stage':>12} {'forward':>8} {'bwdData':>8} {'bwdW':>8}")
    for cin, cout, side, stride, kernel in STAGES:
        pad = kernel // 2
        x = torch.randn(128, cin, side, side).to(memory_format=torch.channels_last)
        w = torch.randn(cout, cin, kernel, kernel).to(memory_format=torch.channels_last)
        dy = torch.randn_like(torch.nn.functional.conv2d(x, w, None, stride, pad))
        dy = dy.contiguous(memory_format=torch.channels_last)

        def passes(data, weight):
            return backward(dy, x, w, None, [stride, stride], [pad, pad], [1, 1], False, [0, 0], 1,
                            [data, weight, False])

        forward = median_ms(lambda: torch.nn.functional.conv2d(x, w, None, stride, pad), args.repeats)
        data = median_ms(lambda: passes(True, False), args.repeats)
        weight = median_ms(lambda: passes(False, True), args.repeats)
        name = f"{cin}>{cout}@{side}" + (f"/{stride}" if stride > 1 else "") + (f"k{kernel}" if kernel != 3 else "")
        print(f"{name:>12} {forward:8.2f} {data:8.2f} {weight:8.2f}")


if __name__ == "__main__":
    main()
