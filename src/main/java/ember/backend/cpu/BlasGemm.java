package ember.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * cblas_sgemm from a CBLAS library found at run time (OpenBLAS first), bound with
 * java.lang.foreign. The call is "critical" with heap access, so BLAS reads and writes our
 * float[] in place: no copies, no pinned buffers.
 */
final class BlasGemm implements Gemm {
    /** System property, then environment variable, naming an explicit CBLAS library file. */
    static final String PROPERTY = "ember.blas";
    static final String ENV = "EMBER_BLAS";
    /** Tried in order through the dynamic loader's search path. */
    static final List<String> KNOWN_NAMES = List.of(
            "libopenblas.so.0", "libopenblas.so", "libcblas.so.3", "libblis.so.4", "libblas.so.3");

    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private final String library;
    private final String build;
    private final MethodHandle sgemm;

    private BlasGemm(String library, String build, MethodHandle sgemm) {
        this.library = library;
        this.build = build;
        this.sgemm = sgemm;
    }

    /**
     * The BLAS named by {@value #PROPERTY} / {@value #ENV} (an error if it cannot be used),
     * else the first of {@code names} that loads and exports cblas_sgemm, else empty.
     */
    static Optional<BlasGemm> find(List<String> names) {
        presetOpenBlasCore();
        String explicit = System.getProperty(PROPERTY, System.getenv(ENV));
        if (explicit != null && !explicit.isBlank()) {
            if (!Files.isRegularFile(Path.of(explicit))) {
                throw new IllegalStateException("BLAS library " + explicit + " (from -D" + PROPERTY + " or "
                        + ENV + ") does not exist");
            }
            return Optional.of(load(explicit).orElseThrow(() -> new IllegalStateException(
                    "BLAS library " + explicit + " does not load or has no cblas_sgemm")));
        }
        for (String name : names) {
            Optional<BlasGemm> found = load(name);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Optional<BlasGemm> load(String name) {
        SymbolLookup lookup;
        try {
            // The global arena keeps the library loaded for the life of the JVM, as BLAS expects.
            lookup = SymbolLookup.libraryLookup(name, Arena.global());
        } catch (IllegalArgumentException notLoadable) {
            return Optional.empty();
        }
        // ember splits work across images itself; BLAS threads on top would oversubscribe the cores.
        lookup.find("openblas_set_num_threads").ifPresent(setThreads -> {
            try {
                Linker.nativeLinker().downcallHandle(setThreads, FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT))
                        .invokeExact(1);
            } catch (Throwable t) {
                throw new IllegalStateException("openblas_set_num_threads failed in " + name, t);
            }
        });
        return lookup.find("cblas_sgemm").map(address -> {
            var i = ValueLayout.JAVA_INT;
            var f = ValueLayout.JAVA_FLOAT;
            var p = ValueLayout.ADDRESS;
            MethodHandle handle = Linker.nativeLinker().downcallHandle(address,
                    FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, p, i, p, i, f, p, i),
                    Linker.Option.critical(true));
            return new BlasGemm(name, openBlasBuild(lookup), handle);
        });
    }

    /**
     * Sets OPENBLAS_CORETYPE, unless the user did, to the widest kernels this CPU's flags allow,
     * before OpenBLAS loads and reads it. OpenBLAS picks its kernels from the CPU's model
     * number, and a virtual machine's generic model ("Intel Xeon Processor") leaves it on its
     * SSE3 "Prescott" kernels even with AVX-512 present: exp2's 100 steps took 26.2 s there
     * against 23.0 s with SkylakeX's (2-core VM, 2026-12-06, docs/exp2.md).
     */
    private static void presetOpenBlasCore() {
        if (System.getenv("OPENBLAS_CORETYPE") != null) {
            return;
        }
        String core = coreFor(CpuInfo.text());
        if (core == null) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            Linker linker = Linker.nativeLinker();
            var setenv = linker.defaultLookup().find("setenv").orElseThrow();
            int ignored = (int) linker.downcallHandle(setenv, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT)).invokeExact(
                    arena.allocateFrom("OPENBLAS_CORETYPE"), arena.allocateFrom(core), 0);
        } catch (Throwable t) {
            // Without it OpenBLAS picks its kernels itself, as it always did.
        }
    }

    /** "SkylakeX" for AVX-512 (F, BW, DQ, VL), "Haswell" for AVX2 with FMA, else null, from /proc/cpuinfo's flags. */
    static String coreFor(String cpuinfo) {
        String flags = cpuinfo.lines().filter(l -> l.startsWith("flags")).findFirst().orElse("");
        java.util.Set<String> has = java.util.Set.of(flags.substring(flags.indexOf(':') + 1).trim().split("\\s+"));
        if (has.containsAll(List.of("avx512f", "avx512bw", "avx512dq", "avx512vl"))) {
            return "SkylakeX";
        }
        return has.containsAll(List.of("avx2", "fma")) ? "Haswell" : null;
    }

    /** OpenBLAS's own account of its build and the core kernels it chose ("OpenBLAS 0.3.21 ... core Haswell"), else "". */
    private static String openBlasBuild(SymbolLookup lookup) {
        StringBuilder text = new StringBuilder();
        for (String function : List.of("openblas_get_config", "openblas_get_corename")) {
            lookup.find(function).ifPresent(address -> {
                try {
                    MemorySegment result = (MemorySegment) Linker.nativeLinker()
                            .downcallHandle(address, FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
                    text.append(text.isEmpty() ? "" : ", core ").append(result.reinterpret(256).getString(0).strip());
                } catch (Throwable t) {
                    // Only a description: a build without it is still a BLAS.
                }
            });
        }
        return text.toString();
    }

    @Override
    public String describe() {
        return "BLAS " + library + (build.isEmpty() ? "" : " (" + build + ")") + ", one thread per call";
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        try {
            sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
                    alpha, heap(a, aOff), lda, heap(b, bOff), ldb, beta, heap(c, cOff), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed in " + library, t);
        }
    }

    private static MemorySegment heap(float[] array, int offset) {
        return MemorySegment.ofArray(array).asSlice((long) offset * Float.BYTES);
    }
}
