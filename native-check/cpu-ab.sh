#!/usr/bin/env bash
# CPU speed of two ember builds, in turns, on a machine steadier than the 2-core VM (the GPU
# machine's host; see docs/device-log.md), next to PyTorch's CPU engine on the same cores:
#   ember-gpu-check/cpu-ab.sh OUTDIR CIFAR10.tar.gz OLD.jar NEW.jar [REFERENCE_PY]
# Runs with the bundle's Java runtime. Per build and core count, exp2 for one epoch of a fixed
# 25,600-image subset (200 steps) on all cores and 12,800 images (100 steps) on cores 0-1,
# twice, alternating the builds; given the reference script, PyTorch's 100 steps on cores 0-1.
# Prints each run's epoch line (train seconds and its loader/forward/backward/update split).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: cpu-ab.sh OUTDIR CIFAR10.tar.gz OLD.jar NEW.jar [REFERENCE_PY]}
data=${2:?CIFAR-10 image-folder .tar.gz}
old=${3:?old ember.jar}
new=${4:?new ember.jar}
reference=${5:-}
mkdir -p "$out"
java="$here/runtime/bin/java"
. "$here/jvm-options.sh"
summary="$out/cpu-ab.txt"
: > "$summary"

# One exp2 epoch of a fixed subset: JAR LABEL CPUS IMAGES, CPUS a taskset list or "all".
ember_epoch() {
  local jar=$1 label=$2 cpus=$3 images=$4
  local pin=()
  [ "$cpus" != all ] && pin=(taskset -c "$cpus")
  timeout 240 "${pin[@]}" "$java" "${ember_jvm_options[@]}" -jar "$jar" exp2 --device cpu --data "$data" --epochs 1 --train-images "$images" \
    --test-images 1000 --out "$out/run-$label" > "$out/$label.log" 2>&1
  echo "$label (rc $?): $(tr '\r' '\n' < "$out/$label.log" | grep -E '^(backend|epoch .*img/s)' | tr '\n' ' ')" \
    | tee -a "$summary"
}

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)  cores: $(nproc)" \
  | tee -a "$summary"
for round in 1 2; do
  ember_epoch "$old" "old-all-$round" all 25600
  ember_epoch "$new" "new-all-$round" all 25600
done
for round in 1 2; do
  ember_epoch "$old" "old-2cores-$round" 0,1 12800
  ember_epoch "$new" "new-2cores-$round" 0,1 12800
done
if [ -n "$reference" ]; then
  folder="$out/cifar10"
  mkdir -p "$folder" && tar -xzf "$data" -C "$folder"
  root=$(dirname "$(find "$folder" -maxdepth 3 -type d -name train | head -n 1)")
  timeout 240 taskset -c 0,1 python3 "$reference" --data "$root" --device cpu --epochs 1 --max-steps 100 \
    > "$out/torch-2cores.log" 2>&1
  echo "torch-2cores (rc $?): $(grep -E '"(epoch|load_s)"' "$out/torch-2cores.log" | tr '\n' ' ')" | tee -a "$summary"
fi
