#!/usr/bin/env bash
# Installs what ttad needs on a fresh Debian 12 (as root): the C libraries, Python packages for
# the interop tests, and checks the Swift toolchain. Safe to run again.
set -euo pipefail
APT_PACKAGES=(
  libzmq3-dev libsystemd-dev libopenblas-dev libmujoco-dev libsqlite3-dev pkg-config  # the C libraries
  python3-zmq python3-numpy                                                            # the Python bridge controller and interop tests
  systemd-container debootstrap zstd                                                  # the real-systemd test (scripts/systemd-test.sh)
)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi
# The checkpoint interop test reads our safetensors files with the reference Python package.
python3 -c "import safetensors, numpy" 2>/dev/null || python3 -m pip install -q safetensors numpy
# The Python package (python/) and its test extras for the python3 on PATH: pyzmq, numpy, pytest and
# gymnasium[mujoco] (reacher.xml for the third-party MJCF test; Reacher-v5 driven through
# serve_gymnasium). Without gymnasium those tests skip and say so.
# The tests import the package from python/ itself; `pip install ./python` is for users.
python3 -c "import zmq, numpy, pytest, gymnasium, mujoco" 2>/dev/null \
  || python3 -m pip install -q pyzmq numpy pytest 'gymnasium[mujoco]>=1.0' \
  || python3 -m pip install -q pyzmq numpy pytest \
  || echo "setup: the Python test packages could not be installed; the Python suite will fail"
# Best effort: PyTorch (and onnx) for ttad.policy's tests; without them those tests skip and say so.
# The CPU build: a wheel pip's find-links already holds, else PyTorch's own CPU index (PyPI's
# default build carries CUDA, gigabytes this machine has no use for).
# Its pure-Python dependencies come from the package index first: find-links holds torch alone.
python3 -c "import torch" 2>/dev/null \
  || { python3 -m pip install -q filelock typing-extensions sympy networkx jinja2 fsspec setuptools \
       && python3 -m pip install -q --no-index torch; } 2>/dev/null \
  || python3 -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu \
  || echo "setup: torch could not be installed; the ttad.policy PyTorch tests will skip"
# ttad.export.tensorboard (the ttad[tensorboard] extra) and its test, which reads the event files back.
python3 -c "import tensorboard" 2>/dev/null || python3 -m pip install -q 'tensorboard>=2.10' \
  || echo "setup: tensorboard could not be installed; the TensorBoard export tests will skip"
python3 -c "import onnx, onnxruntime" 2>/dev/null || python3 -m pip install -q onnx onnxruntime \
  || echo "setup: onnx could not be installed; the ONNX export test will skip"
# The ttad[parquet] extra: Client.add_demonstrations reads LeRobot-style parquet datasets with it.
python3 -c "import pyarrow" 2>/dev/null || python3 -m pip install -q pyarrow \
  || echo "setup: pyarrow could not be installed; the parquet demonstration test will skip"
# Optional: gymnasium-robotics (Adroit, PointMaze and Fetch tasks that report success themselves,
# python/tests/test_gymnasium_envs.py). It takes the mujoco that gymnasium[mujoco] brought; a
# failed install only makes those tests skip, saying so. (metaworld pins an older mujoco, so it
# is not installed.)
python3 -c "import gymnasium_robotics" 2>/dev/null \
  || python3 -m pip install -q gymnasium-robotics \
  || echo "setup: gymnasium-robotics could not be installed; its tests will skip"
command -v swift >/dev/null || { echo "setup: no swift on PATH (this machine kind ships Swift 6.3 in /opt/swift)"; exit 1; }
