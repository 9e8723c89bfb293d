# Sourced by the launcher, bench/ab-torch.sh and the GPU bundle's scripts: the JVM options every
# run of the engine takes, as the array ember_jvm_options.
#  - Native access (BLAS, cuBLAS and cuDNN through java.lang.foreign) and the Vector API, which
#    the CPU backend's SIMD loops need; headless AWT for exp1's plot.
#  - Objects on 64-byte boundaries: the CPU backend then starts its buffers and scratch on cache
#    lines, and no vector straddles two (ember.backend.cpu.Alignment; exp2's step ~8 % faster on
#    the 2-core Xeon VM, docs/exp2.md).
#  - 2 MB pages where the kernel offers transparent huge pages: a training step streams its
#    activations (up to 8 MB each) through the convolutions and batch norms, and on 2 MB pages
#    the TLB covers them (exp2's step 1.07-1.12x faster on the 2-core VM, docs/exp2.md).
ember_jvm_options=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Djava.awt.headless=true
  -XX:ObjectAlignmentInBytes=64)
if grep -qE '\[(madvise|always)\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
  ember_jvm_options+=(-XX:+UseTransparentHugePages)
fi
