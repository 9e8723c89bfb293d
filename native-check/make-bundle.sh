#!/usr/bin/env bash
# Makes the bundle the GPU check runs from, for a GPU machine with no Java and no Maven:
#   native-check/make-bundle.sh [OUT.tar.gz]     (default: target/gpu-check/gpu-check-bundle.tar.gz)
# It holds a jlinked Temurin 25 runtime, ember.jar without the natives a linux-x86_64 GPU run
# never loads, gpu-check.sh and, where built, the kernel benchmarks. It must stay under 43 MB so the
# CIFAR-10 images (19.4 MB) still fit beside it in a 64 MiB (67.1 MB) upload.
# Where ../shared exists, the CIFAR-10 images and the PyTorch reference are copied beside it, so
# the bundle's folder is the one thing a device call carries.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/src/main/sh/find-java.sh"
ember_find_java
out=${1:-$root/target/gpu-check/gpu-check-bundle.tar.gz}
limit_mb=43

cd "$root"
echo "bundle: building target/ember.jar" >&2
./mvnw -B -q -ntp package -DskipTests >&2

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir="$stage/ember-gpu-check"
mkdir -p "$dir"

# java.desktop is for exp1's fit.png (XChart draws with AWT and writes PNG with ImageIO); the
# check compares times, but a run that cannot write its own outputs is not the run users get.
# java.desktop costs 12 MB in the tar.gz (measured: 19 MB without, 31 MB with); jdk.incubator.vector
# is for the CPU backend's SIMD loops, which the CLI requires. No jlink --compress:
# gzip squeezes the plain modules file better (zip-9 inside made the tar.gz 7 MB larger).
modules=java.base,jdk.unsupported,java.logging,java.management,jdk.management,java.desktop,java.sql,jdk.incubator.vector
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --output "$dir/runtime"

# The shaded jar carries JCuda's NVRTC/PTX-compiler/runtime bindings (we use only the driver), and
# JOCL's and jline's natives for other systems; none is ever loaded on linux-x86_64 with a GPU.
cp target/ember.jar "$dir/ember.jar"
zip -q -d "$dir/ember.jar" 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*' 'lib/libJCudaRuntime-*' 'lib/libJOCL_*-linux-arm64.so' \
  'org/jline/nativ/FreeBSD/*' 'org/jline/nativ/Mac/*' 'org/jline/nativ/Windows/*' \
  'org/jline/nativ/Linux/arm*' 'org/jline/nativ/Linux/ppc64/*' 'org/jline/nativ/Linux/x86/*' >/dev/null

# The kernel benchmarks, where bench/ is built (./mvnw install -DskipTests && ./mvnw -f bench/pom.xml
# package): their own classes and JMH's three jars, run beside ember.jar (~2.9 MB, not the 18 MB
# shaded benchmarks.jar, which repeats the engine and its natives).
bench_jar=bench/target/ember-bench-0.1.0-SNAPSHOT.jar
if [ -f "$bench_jar" ]; then
  mkdir -p "$dir/bench"
  cp "$bench_jar" "$dir/bench/"
  m2=${MAVEN_REPO:-$HOME/.m2/repository}
  cp "$m2/org/openjdk/jmh/jmh-core/1.37/jmh-core-1.37.jar" "$m2/net/sf/jopt-simple/jopt-simple/5.0.4/jopt-simple-5.0.4.jar" \
    "$m2/org/apache/commons/commons-math3/3.6.1/commons-math3-3.6.1.jar" "$dir/bench/"
else
  echo "bundle: no kernel benchmarks ($bench_jar not built)" >&2
fi

cp native-check/gpu-check.sh native-check/cpu-ab.sh src/main/sh/jvm-options.sh "$dir/"

# The jlinked runtime must hold every module the engine touches (the .pth writer needs java.sql,
# for one): a short exp1 on the CPU, writing all its outputs, with the bundle's own java.
smoke=$(mktemp -d)
if ! "$dir/runtime/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
    -Djava.awt.headless=true -jar "$dir/ember.jar" exp1 --device cpu --epochs 20 --out "$smoke/exp1" > "$smoke/log" 2>&1; then
  echo "bundle: exp1 fails with the jlinked runtime (a module missing from --add-modules?):" >&2
  tail -n 20 "$smoke/log" >&2
  exit 1
fi
rm -rf "$smoke"
git rev-parse HEAD > "$dir/COMMIT" 2>/dev/null || echo unknown > "$dir/COMMIT"
mkdir -p "$(dirname "$out")"
tar -C "$stage" -czf "$out" ember-gpu-check

bytes=$(wc -c < "$out")
printf 'bundle: %s: %.1f MB (runtime %s, jar %s)\n' "$out" "$(echo "$bytes / 1000000" | bc -l)" \
  "$(du -sh "$dir/runtime" | cut -f1)" "$(du -sh "$dir/ember.jar" | cut -f1)"
if [ "$bytes" -ge $((limit_mb * 1000 * 1000)) ]; then
  echo "bundle: over the ${limit_mb} MB limit" >&2
  exit 1
fi
folder=$(dirname "$out")
shared=$root/../shared
if [ -f "$shared/data/cifar10-jpeg.tar.gz" ] && [ -f "$shared/reference/resnet20_torch.py" ]; then
  cp "$shared/data/cifar10-jpeg.tar.gz" "$shared/reference/resnet20_torch.py" "$folder/"
  echo "bundle: copied cifar10-jpeg.tar.gz and resnet20_torch.py into $folder ($(du -sh "$folder" | cut -f1) in all)"
  echo "bundle: on the GPU machine, in $folder: tar xzf $(basename "$out") &&" \
    "ember-gpu-check/gpu-check.sh OUTDIR cifar10-jpeg.tar.gz resnet20_torch.py"
else
  echo "bundle: on the GPU machine: tar xzf $(basename "$out") && ember-gpu-check/gpu-check.sh OUTDIR"
fi
