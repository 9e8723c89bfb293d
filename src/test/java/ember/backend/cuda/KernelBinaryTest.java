package ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed fatbin (src/main/resources/ember/cuda) is what every jar runs, so it must be
 * built from the kernels/ sources as they are now. kernels/build.sh records their sha256 and the
 * fatbin's next to it; this test recomputes them, which needs no nvcc, so it runs everywhere.
 */
class KernelBinaryTest {
    private static final Path KERNELS = Path.of("kernels");
    private static final Path COMMITTED = Path.of("src/main/resources/ember/cuda");
    private static final Path BUILT = Path.of("target/kernels/ember/cuda/kernels.fatbin");
    private static final String FATBIN = "kernels.fatbin";
    private static final String REFRESH = "run kernels/build.sh --update and commit src/main/resources/ember/cuda/";

    @Test
    void committedBinaryIsBuiltFromTheCurrentSources() throws IOException {
        Map<String, String> recorded = new TreeMap<>();
        for (String line : Files.readAllLines(COMMITTED.resolve("kernels.sha256"))) {
            String[] parts = line.split(" +", 2);
            recorded.put(parts[1].strip(), parts[0]);
        }
        // The binary itself: a fatbin replaced or half-committed would pass a check of the sources alone.
        assertEquals(recorded.remove(FATBIN), sha256(COMMITTED.resolve(FATBIN)),
                "the committed " + FATBIN + " is not the one kernels.sha256 recorded; " + REFRESH);
        Map<String, String> now = new TreeMap<>();
        try (Stream<Path> files = Files.list(KERNELS)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".cu") || name.endsWith(".cuh") || name.endsWith(".h") || name.equals("build.sh")) {
                    now.put("kernels/" + name, sha256(f));
                }
            }
        }
        List<String> stale = new ArrayList<>();
        for (String file : now.keySet()) {
            if (!now.get(file).equals(recorded.get(file))) {
                stale.add(file + (recorded.containsKey(file) ? " changed" : " is new"));
            }
        }
        for (String file : recorded.keySet()) {
            if (!now.containsKey(file)) {
                stale.add(file + " was removed");
            }
        }
        assertTrue(stale.isEmpty(), () -> "kernels.fatbin is stale: " + String.join(", ", stale) + "; " + REFRESH);
    }

    @Test
    void thisBuildCompiledTheKernelsForEveryArchitecture() throws IOException {
        assumeTrue(nvccOnPath(), "nvcc is not on PATH, so the build did not compile kernels/ (it uses the committed binary)");
        assertTrue(Files.exists(BUILT), BUILT + " missing: the Maven build should have run kernels/build.sh");
        String text = new String(Files.readAllBytes(BUILT), StandardCharsets.ISO_8859_1);
        for (String arch : List.of("sm_80", "sm_86", "sm_89", "sm_90")) {
            assertTrue(text.contains("-arch " + arch + " "), "no SASS for " + arch + " in " + BUILT);
        }
    }

    @Test
    void everyLaunchedKernelIsDefinedAndPackaged() throws IOException {
        String binary = new String(Files.readAllBytes(COMMITTED.resolve("kernels.fatbin")), StandardCharsets.ISO_8859_1);
        StringBuilder sources = new StringBuilder();
        try (Stream<Path> files = Files.list(KERNELS)) {
            // The .cu files, and the ops written once for CUDA and OpenCL (ember_*_ops.h, EMBER_KERNEL).
            for (Path f : files.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith("_ops.h")).toList()) {
                sources.append(Files.readString(f));
            }
        }
        List<String> names = new ArrayList<>(Elementwise.KERNELS);
        names.addAll(Loss.KERNELS);
        names.addAll(Optimizer.KERNELS);
        names.addAll(ResNetOps.KERNELS);
        assertEquals(20, names.size());
        for (String name : names) {
            assertTrue(sources.toString().contains("extern \"C\" __global__ void " + name + "(")
                            || sources.toString().contains("EMBER_KERNEL " + name + "("),
                    name + " is not an extern \"C\" kernel in kernels/*.cu or an EMBER_KERNEL in kernels/*_ops.h");
            assertTrue(binary.contains(".text." + name), name + " is not in the committed fatbin; " + REFRESH);
        }
    }

    private static boolean nvccOnPath() {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(java.io.File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc")));
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
