#!/usr/bin/env bash
# The GPU check, in one invocation on a GPU machine with no Java and no Maven (see docs/gpu-check.md):
#   ember-gpu-check/gpu-check.sh OUTDIR [CIFAR10 [REFERENCE_PY]]
# Prints driver, GPU and library versions and which libcuda/cuBLAS/cuDNN files it found (ember
# doctor), runs the parity self-test on CUDA (fp32, then TF32 convolutions), exp1 (default and
# --epochs 50000) on cuda and cpu side by side, and writes every log to OUTDIR. Given CIFAR-10
# (the image-folder .tar.gz), it trains exp2 on CUDA: the lab's 10 epochs in TF32 and one epoch in
# fp32; given the PyTorch reference script too, runs it for 10 epochs on the same GPU and images,
# with its peak device memory. Exit 0 only when everything passed. Each step has its own time
# limit; the whole check is meant to take about 7 minutes on an H100. Where the bundle carries the
# kernel benchmarks, it ends with their table on CUDA.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: gpu-check.sh OUTDIR [CIFAR10.tar.gz [resnet20_torch.py]]}
data=${2:-}
reference=${3:-}
mkdir -p "$out"
out=$(cd "$out" && pwd)
java="$here/runtime/bin/java"
jar="$here/ember.jar"
# The JDK's signal chaining, as src/main/sh/ember preloads it: an OpenCL driver loaded by the
# device probe must not take the SIGSEGV handler the JVM relies on (docs/opencl.md).
if [ -f "$here/runtime/lib/libjsig.so" ]; then
  export LD_PRELOAD="$here/runtime/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
fi
failures=0

log() { echo "$*" | tee -a "$out/summary.txt"; }
section() { log ""; log "== $*"; }

# Runs a step under a time limit, logging to OUTDIR/NAME.log; prints its status and seconds.
step() {
  local name=$1 limit=$2; shift 2
  local start end rc ms
  start=$(date +%s%N)
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  rc=$?
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))  # bash arithmetic: the GPU image has no bc
  status[$name]=$rc
  took[$name]=$(printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
  if [ "$rc" -ne 0 ]; then
    failures=$((failures + 1))
    log "$name: FAILED (exit $rc$([ "$rc" = 124 ] && echo ", over its ${limit}s limit")) after ${took[$name]} s; last lines of $out/$name.log:"
    tail -n 15 "$out/$name.log" | sed 's/^/    /' | tee -a "$out/summary.txt"
  else
    log "$name: ok in ${took[$name]} s"
  fi
}
declare -A status took

: > "$out/summary.txt"
section "machine"
log "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)   host: $(hostname)   bundle commit: $(cat "$here/COMMIT" 2>/dev/null)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$out/summary.txt"
  nvidia-smi > "$out/nvidia-smi.txt" 2>&1
  log "cuda (driver): $(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -n 1)"
else
  log "nvidia-smi: not found"
fi
libcuda=$( (ldconfig -p 2>/dev/null | grep -m1 'libcuda.so.1 ' | sed 's/.*=> //') || true)
if [ -z "$libcuda" ]; then
  # JCuda's JNI library links libcuda.so.1 by soname: put the driver's folder on the loader path.
  libcuda=$(find /usr/local/nvidia /usr/lib64 /usr/lib/x86_64-linux-gnu -name libcuda.so.1 2>/dev/null | head -n 1)
  [ -n "$libcuda" ] && export LD_LIBRARY_PATH="$(dirname "$libcuda")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
log "libcuda: ${libcuda:-not found}"
log "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

# cuBLAS and cuDNN live in the Python wheels here: CUDA 13 wheels put them in nvidia/cu13/lib,
# CUDA 12 wheels in nvidia/cublas/lib and nvidia/cudnn/lib. Point the engine at what we find.
wheel_libs=$(python3 - <<'PY' 2>/dev/null
import importlib, os
for mod, sub in (("nvidia.cu13", "lib"), ("nvidia.cublas", "lib"), ("nvidia.cudnn", "lib")):
    try:
        m = importlib.import_module(mod)
    except Exception:
        continue
    for base in list(getattr(m, "__path__", [])):
        d = os.path.join(base, sub)
        if os.path.isdir(d):
            print(d)
PY
)
for d in $wheel_libs; do log "wheel library folder: $d"; done
if [ -z "${EMBER_CUBLAS:-}" ]; then
  for d in $wheel_libs /usr/local/cuda/lib64; do
    for f in "$d/libcublas.so.13" "$d/libcublas.so.12"; do
      if [ -z "${EMBER_CUBLAS:-}" ] && [ -f "$f" ]; then export EMBER_CUBLAS=$f; fi
    done
  done
fi
log "cuBLAS: ${EMBER_CUBLAS:-not found in the wheels or /usr/local/cuda/lib64 (the engine will search the loader path)}"
if [ -z "${EMBER_CUDNN:-}" ]; then
  for d in $wheel_libs /usr/local/cuda/lib64; do
    if [ -z "${EMBER_CUDNN:-}" ] && [ -f "$d/libcudnn.so.9" ]; then export EMBER_CUDNN=$d/libcudnn.so.9; fi
  done
fi
log "cuDNN: ${EMBER_CUDNN:-not found in the wheels or /usr/local/cuda/lib64 (the engine will search the loader path)}"
log "java: $("$java" -version 2>&1 | head -n 1)"

# An array, not a function: timeout runs programs, not shell functions.
# The launcher's JVM options (src/main/sh/jvm-options.sh, copied into the bundle).
. "$here/jvm-options.sh"
ember=("$java" "${ember_jvm_options[@]}" -jar "$jar")

section "ember doctor (every native piece, then one tiny op on each backend)"
# Not a step: its exit status says only whether --device was given and runs; the text is the point.
timeout 120 "${ember[@]}" doctor > "$out/doctor.log" 2>&1 || true
tee -a "$out/summary.txt" < "$out/doctor.log"

section "parity self-test on CUDA, fp32 (every op against the double-precision reference)"
step selftest-cuda 120 "${ember[@]}" selftest --device cuda
grep -E '^backend:|^selftest:|FAIL' "$out/selftest-cuda.log" | head -n 40 | tee -a "$out/summary.txt"
# cuDNN is loaded by path (its sub-libraries, cuBLASLt and NVRTC first). If that did not work here,
# say so, put the wheel folders on the loader path for the rest of the check, and try once more.
if grep -q 'no cuDNN' "$out/selftest-cuda.log" && [ -n "$wheel_libs" ]; then
  log "cuDNN did not open when loaded by path; retrying with LD_LIBRARY_PATH set to the wheel folders"
  export LD_LIBRARY_PATH="$(echo $wheel_libs | tr ' ' ':')${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  step selftest-cuda-ld-path 120 "${ember[@]}" selftest --device cuda
  grep -E '^backend:|^selftest:|FAIL' "$out/selftest-cuda-ld-path.log" | head -n 40 | tee -a "$out/summary.txt"
fi

if [ -n "$data" ]; then
  section "exp2 on CUDA: the lab's 10 epochs, convolutions in TF32 (the default, as PyTorch's)"
  step exp2-cuda-tf32 240 "${ember[@]}" exp2 --device cuda --data "$data" --out "$out/exp2-cuda-tf32"
  tr '\r' '\n' < "$out/exp2-cuda-tf32.log" | grep -E '^(backend|data|exp2|cuda memory):|^epoch .*img/s|^ember:' \
    | tee -a "$out/summary.txt"
fi

if [ -n "$data" ] && [ -n "$reference" ]; then
  section "PyTorch reference, 10 epochs on the same GPU and images ($(python3 -c 'import torch; print("torch", torch.__version__)' 2>&1))"
  images=$(mktemp -d)
  tar -xzf "$data" -C "$images"
  folder=$(dirname "$(find "$images" -maxdepth 3 -type d -name train | head -n 1)")
  export PYTHONUNBUFFERED=1
  # The script as it is, then its peak device memory as PyTorch counts it.
  step torch-cuda-10-epochs 240 python3 -c '
import json, runpy, sys, torch
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    print(json.dumps({"max_memory_allocated_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1),
                      "max_memory_reserved_mib": round(torch.cuda.max_memory_reserved() / 2**20, 1)}))
' "$reference" --data "$folder" --device cuda
  grep -E '"(epoch|gpu|load_s|max_memory_allocated_mib)"' "$out/torch-cuda-10-epochs.log" | tee -a "$out/summary.txt"
  rm -rf "$images"
fi

if [ -n "$data" ]; then
  section "exp2 on CUDA, 1 epoch with convolutions in fp32"
  step exp2-cuda-fp32 90 "${ember[@]}" exp2 --device cuda --precision fp32 --data "$data" --epochs 1 \
    --out "$out/exp2-cuda-fp32"
  tr '\r' '\n' < "$out/exp2-cuda-fp32.log" | grep -E '^(exp2|cuda memory):|^epoch .*img/s|^ember:' \
    | tee -a "$out/summary.txt"
fi

section "parity self-test on CUDA, convolutions in TF32 (its wider tolerance)"
step selftest-cuda-tf32 90 "${ember[@]}" selftest --device cuda --precision tf32
grep -E '^selftest:|FAIL' "$out/selftest-cuda-tf32.log" | head -n 20 | tee -a "$out/summary.txt"

section "exp1 (each run: train, save model, loss curve, fit.png)"
for device in cuda cpu; do
  step "exp1-$device-default" 60 "${ember[@]}" exp1 --device "$device" --out "$out/exp1-$device-default"
  step "exp1-$device-50000" 120 "${ember[@]}" exp1 --device "$device" --epochs 50000 --out "$out/exp1-$device-50000"
done

section "exp1 times (wall clock, JVM start included; the training time is in each log's last line)"
printf '%-16s %12s %12s\n' run cuda cpu | tee -a "$out/summary.txt"
cell() { [ "${status[$1]:-1}" = 0 ] && echo "${took[$1]} s" || echo "failed"; }
for run in default 50000; do
  printf '%-16s %12s %12s\n' "$run" "$(cell "exp1-cuda-$run")" "$(cell "exp1-cpu-$run")" | tee -a "$out/summary.txt"
done
for f in "$out"/exp1-*.log; do
  log "$(basename "$f" .log): $(grep -E '^exp1:' "$f" | tail -n 1)"
done

section "OpenCL: the devices found, and parity on the first (a GPU when there is one)"
# Not a step: a GPU machine without an OpenCL driver is no failure. Its first lines name the device or why none.
timeout 120 "${ember[@]}" selftest --device opencl > "$out/selftest-opencl.log" 2>&1 || true
grep -E '^backend:|^selftest:|^ember:|FAIL' "$out/selftest-opencl.log" | head -n 20 | tee -a "$out/summary.txt"

if [ -n "$reference" ]; then
  section "ember compare (ResNet20 steps per backend, PyTorch on the CPU and the GPU beside them)"
  step compare 150 "${ember[@]}" compare --steps 20 --torch --reference "$reference" --out "$out/compare"
  grep -vE '^WARNING' "$out/compare.log" | tail -n 12 | tee -a "$out/summary.txt"
fi

if [ -d "$here/bench" ]; then
  section "kernel benchmarks on CUDA (each op spec CUDA runs, against its GEMM and copy peaks; docs/benchmarks.md)"
  step kernels-cuda 120 "$java" "${ember_jvm_options[@]}" -cp "$jar:$here/bench/*" ember.bench.KernelTable --backends cuda --quick --out "$out/kernels-cuda.md"
  [ -f "$out/kernels-cuda.md" ] && tee -a "$out/summary.txt" < "$out/kernels-cuda.md"
else
  section "kernel benchmarks: not in this bundle (make-bundle.sh adds them when bench/ is built)"
fi

nvidia-smi >> "$out/nvidia-smi.txt" 2>&1 || true

section "result"
if [ "$failures" -eq 0 ]; then
  log "gpu-check: everything passed; logs in $out"
else
  log "gpu-check: $failures step(s) failed; logs in $out"
fi
[ "$failures" -eq 0 ]
