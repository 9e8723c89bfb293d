#!/usr/bin/env bash
# ember's CPU backend against PyTorch's CPU engine (Debian python3-torch) on exp2's step, in turns,
# on the same images and cores (ember.bench.TorchAB with bench/torch_phases.py):
#   bench/ab-torch.sh DATA [--images 12800] [--rounds 3] [--threads N] [--reference PY]
# Uses target/ember.jar as built (src/main/sh/ember builds it); EMBER_JAR names another build,
# EMBER_JAVA_OPTS adds JVM options (e.g. -Dember.fastConv=never), as in the launcher.
# TorchAB runs from its source file (Java's source launcher), so the bench module need not be built.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/src/main/sh/find-java.sh"
ember_find_java
cd "$root"
jar=${EMBER_JAR:-target/ember.jar}
[ -f "$jar" ] || { echo "ab-torch: no $jar; build it first (./mvnw -B -q package -DskipTests)" >&2; exit 1; }
. "$root/src/main/sh/jvm-options.sh"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  cpu:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)  cores: $(nproc)  jar: $jar"
exec "$JAVA_HOME/bin/java" "${ember_jvm_options[@]}" ${EMBER_JAVA_OPTS:-} -cp "$jar" bench/src/main/java/ember/bench/TorchAB.java "$@"
