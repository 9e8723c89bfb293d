#!/usr/bin/env bash
# Compiles kernels/*.cu into one fatbin: SASS for sm_80, sm_86, sm_89, sm_90 plus compute_90 PTX,
# which newer GPUs JIT-compile. Next to it, kernels.sha256 records the sources it was built from
# and the fatbin itself (sha256sum format), so a test can tell when the committed binary is stale
# or is not the one built.
#   kernels/build.sh OUTDIR      build into OUTDIR/ember/cuda/ (what the Maven build does)
#   kernels/build.sh --update    rebuild the committed copy in src/main/resources; commit it after
#   --if-nvcc                    (first) exit 0 with a note when nvcc is not on PATH
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

optional=0
if [ "${1:-}" = "--if-nvcc" ]; then optional=1; shift; fi
case "${1:-}" in
  --update) out="$root/src/main/resources" ;;
  "") echo "usage: kernels/build.sh [--if-nvcc] OUTDIR | --update" >&2; exit 2 ;;
  *) out=$1 ;;
esac

if ! command -v nvcc >/dev/null 2>&1; then
  if [ "$optional" = 1 ]; then
    echo "kernels: nvcc not on PATH; the jar uses the committed src/main/resources/ember/cuda/kernels.fatbin"
    exit 0
  fi
  echo "kernels: nvcc not on PATH; install the CUDA toolkit or put its bin/ on PATH" >&2
  exit 1
fi

ARCHS=(80 86 89 90)
PTX=90
flags=(-fatbin -O3 -std=c++17 -I "$root/kernels")
for a in "${ARCHS[@]}"; do flags+=(-gencode "arch=compute_$a,code=sm_$a"); done
flags+=(-gencode "arch=compute_$PTX,code=compute_$PTX")

dest="$out/ember/cuda"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

# One translation unit, so one module and one cuModuleLoadData; kernel names are extern "C"
# and unique across files.
cd "$root"
sources=$(ls kernels/*.cu kernels/*.cuh kernels/*.h kernels/build.sh | LC_ALL=C sort)
for f in kernels/*.cu; do echo "#include \"$root/$f\""; done > "$work/ember_kernels.cu"
nvcc "${flags[@]}" -o "$work/kernels.fatbin" "$work/ember_kernels.cu"
# shellcheck disable=SC2086
sha256sum $sources > "$work/kernels.sha256"
(cd "$work" && sha256sum kernels.fatbin) >> "$work/kernels.sha256"
mv "$work/kernels.fatbin" "$dest/kernels.fatbin"
mv "$work/kernels.sha256" "$dest/kernels.sha256"
echo "kernels: $(nvcc --version | tail -n 1) -> $dest/kernels.fatbin ($(wc -c < "$dest/kernels.fatbin") bytes)"
