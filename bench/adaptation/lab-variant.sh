#!/bin/bash
# Runs `ttad-lab experiment` on a robot-config with some `learning:` keys changed, without
# touching robot-configs/: a scratch robot-configs folder with the edited YAML, the models and the
# starting checkpoints linked in.
#
#   bench/adaptation/lab-variant.sh ROBOT "key: value; key: value" [ttad-lab experiment arguments...]
#
# A key is learning's unless named with its section (`adaptation.zero_success_progress_spread: 0.01`).
# A key with the value `-` is removed (`trainable: -` lets every tensor train). Example (the
# pusher from a random policy, every tensor trainable; docs/experiment.md "Teaching it"):
#
#   bench/adaptation/lab-variant.sh pusher "trainable: -" --robot pusher --task push \
#       --dynamics damping_scale=1 --seeds 5 --tasks 100 --start /tmp/random/pusher.safetensors \
#       --arms adapt --demos 20 "--controller=--person scripted --takeover-stall 20 --takeover-hold 20"
set -euo pipefail
robot=$1; keys=$2; shift 2
repo=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
ln -s "$repo/robot-configs/models" "$scratch/models"
ln -s "$repo/robot-configs/checkpoints" "$scratch/checkpoints"
python3 - "$repo/robot-configs/$robot.yaml" "$scratch/$robot.yaml" "$keys" <<'PY'
import sys
source, target, keys = sys.argv[1], sys.argv[2], sys.argv[3]
changes = {}  # section -> {key: value}; a key without a section is learning's
for item in keys.split(";"):
    if item.strip():
        key, _, value = item.partition(":")
        section, _, name = key.strip().rpartition(".")
        changes.setdefault(section or "learning", {})[name] = value.strip()
out, section = [], None
for line in open(source).read().splitlines():
    if line and not line.startswith(" "):
        section = line.split(":")[0]
        out.append(line)
        out += [f"  {k}: {v}" for k, v in changes.get(section, {}).items() if v != "-"]
        continue
    if line.strip().split(":")[0] in changes.get(section, {}):
        continue  # replaced above, or removed
    out.append(line)
present = {l.split(":")[0] for l in out if l and not l.startswith(" ")}
for missing in [s for s in changes if s not in present]:
    out += [f"{missing}:"] + [f"  {k}: {v}" for k, v in changes[missing].items() if v != "-"]
open(target, "w").write("\n".join(out) + "\n")
PY
cd "$repo"
.build/debug/ttad-lab experiment --robot-configs "$scratch" "$@"
