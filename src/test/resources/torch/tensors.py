"""Safetensors files read and written with numpy (Debian has no safetensors package), for the
torch interop tests: the engine's native format on one side, torch.save/torch.load on the other."""
import json

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


def load(path):
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    return {name: torch.from_numpy(np.frombuffer(raw[base + m["data_offsets"][0]:base + m["data_offsets"][1]],
                                                 dtype=DTYPES[m["dtype"]]).reshape(m["shape"]).copy())
            for name, m in header.items()}


def save(tensors, path):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().cpu().contiguous().numpy()
        raw = data.tobytes()
        header[name] = {"dtype": NAMES[data.dtype], "shape": list(data.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(len(head).to_bytes(8, "little") + head + b"".join(blobs))
