"""torch.save / torch.load against the engine's files.

  check PTH SAFETENSORS [REFERENCE_PY]   torch.load(PTH, weights_only=True)['net'] equals SAFETENSORS
                                          exactly; with the reference script, it also loads into its
                                          ResNet20 (strict). Prints the file's other keys as JSON.
  save SAFETENSORS PTH LAYOUT            torch.save of SAFETENSORS' tensors in LAYOUT: lab ({'net': sd,
                                          'acc', 'epoch'}), bare, state_dict, dataparallel (lab's,
                                          with 'module.' prefixes), float64 (every float tensor as
                                          float64), or view (the last tensor saved as a strided view).
"""
import importlib.util
import json
import sys

import torch

import tensors


def check(pth, safetensors, reference=None):
    loaded = torch.load(pth, map_location="cpu", weights_only=True)
    state = loaded["net"]
    expected = tensors.load(safetensors)
    assert list(state) == list(expected), (list(state), list(expected))
    for name, t in expected.items():
        assert state[name].dtype == t.dtype, (name, state[name].dtype, t.dtype)
        assert state[name].shape == t.shape, (name, state[name].shape, t.shape)
        assert torch.equal(state[name], t), name
    if reference:
        spec = importlib.util.spec_from_file_location("resnet20_torch", reference)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.ResNet20().load_state_dict(state, strict=True)
    print(json.dumps({"ok": True, "tensors": len(state),
                      "extra": {k: v.item() if torch.is_tensor(v) else v for k, v in loaded.items() if k != "net"}}))


def save(safetensors, pth, layout):
    state = tensors.load(safetensors)
    if layout == "bare":
        torch.save(state, pth)
    elif layout == "state_dict":
        torch.save({"state_dict": state, "epoch": 3}, pth)
    elif layout == "dataparallel":
        torch.save({"net": {"module." + k: v for k, v in state.items()}, "acc": 81.25, "epoch": 5}, pth)
    elif layout == "float64":
        torch.save({"net": {k: v.double() if v.is_floating_point() else v for k, v in state.items()}}, pth)
    elif layout == "view":
        last = list(state)[-1]
        big = torch.zeros(state[last].numel() * 2 + 3, dtype=state[last].dtype)
        big[3::2] = state[last].flatten()
        state[last] = big[3::2].view(state[last].shape)  # a view: storage offset 3, stride 2
        torch.save({"net": state}, pth)
    else:
        torch.save({"net": state, "acc": 81.25, "epoch": 5}, pth)
    print(json.dumps({"saved": pth}))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "check":
        check(*sys.argv[2:])
    elif command == "save":
        save(*sys.argv[2:])
    else:
        sys.exit("unknown command " + command)
