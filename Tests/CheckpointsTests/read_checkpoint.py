"""Reads a ttad checkpoint with the reference `safetensors` package and prints it as JSON.

Used by CheckpointsTests to prove the files are standard safetensors (needs: pip install safetensors numpy).
Prints {"metadata": {...}, "tensors": {name: {"shape": [...], "values": [...]}}, "checksum_ok": bool}.
"""
import hashlib
import json
import struct
import sys

from safetensors import safe_open
from safetensors.numpy import load_file


def main(path: str) -> None:
    tensors = load_file(path)
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata()
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    digest = "sha256:" + hashlib.sha256(raw[8 + n:]).hexdigest()
    out = {
        "metadata": metadata,
        "checksum_ok": digest == metadata.get("checksum"),
        "tensors": {
            name: {"dtype": str(t.dtype), "shape": list(t.shape), "values": [float(x) for x in t.reshape(-1)]}
            for name, t in tensors.items()
        },
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
