package ember.backend.spec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * The kernel benchmarks' table: each op's median time on each backend as GFLOP/s and GB/s
 * (from its spec's FLOPs and bytes), and as a fraction of the peaks of the device it ran on,
 * measured in the same run: the fastest of {@link OpSpecs#gemmPeaks} and of {@link
 * OpSpecs#copyPeaks} on any backend of that device (the CPU backend and OpenCL on the CPU share
 * the host's). Backends that are absent, and ops a backend lacks, get a line saying so.
 */
public final class KernelReport {
    private final List<Timing> timings = new ArrayList<>();
    private final Map<String, String> devices = new HashMap<>();
    private final Map<String, String> notes = new LinkedHashMap<>();

    /** One spec's median time per op on one backend. */
    public record Timing(String backend, OpSpec spec, double seconds) {
        public Timing {
            if (!(seconds > 0)) {
                throw new IllegalArgumentException("time per op must be > 0: " + seconds + " for " + spec.name());
            }
        }

        public double gflops() {
            return spec.flops() / seconds / 1e9;
        }

        public double gigabytesPerSecond() {
            return spec.bytes() / seconds / 1e9;
        }
    }

    /** A device's peaks in GFLOP/s and GB/s, with the backends that reached them; NaN where none was timed. */
    public record Peaks(double gflops, String gemmBackend, double gigabytesPerSecond, String copyBackend) {}

    public void add(String backend, OpSpec spec, double seconds) {
        timings.add(new Timing(backend, spec, seconds));
    }

    /** Says that {@code backend} runs on {@code device} (e.g. "host"); a backend not named is a device of its own. */
    public void device(String backend, String device) {
        devices.put(backend, device);
    }

    /** A line about a backend instead of timings (absent: "no libcuda.so.1"; lacking: "lacks conv2d: 23 ops not run"). */
    public void note(String backend, String why) {
        notes.merge(backend, why, (a, b) -> a + "; " + b);
    }

    public List<Timing> timings() {
        return List.copyOf(timings);
    }

    /** The fastest GEMM and copy peaks timed on any backend of {@code backend}'s device. */
    public Peaks peaks(String backend) {
        String device = deviceOf(backend);
        List<Timing> onDevice = timings.stream().filter(t -> deviceOf(t.backend).equals(device)).toList();
        Timing gemm = fastest(onDevice, OpSpecs.gemmPeaks(), Timing::gflops);
        Timing copy = fastest(onDevice, OpSpecs.copyPeaks(), Timing::gigabytesPerSecond);
        return new Peaks(gemm == null ? Double.NaN : gemm.gflops(), gemm == null ? null : gemm.backend,
                copy == null ? Double.NaN : copy.gigabytesPerSecond(), copy == null ? null : copy.backend);
    }

    private String deviceOf(String backend) {
        return devices.getOrDefault(backend, backend);
    }

    private static Timing fastest(List<Timing> timings, List<OpSpec> peaks, ToDoubleFunction<Timing> rate) {
        Set<String> names = peaks.stream().map(OpSpec::name).collect(Collectors.toSet());
        return timings.stream().filter(t -> names.contains(t.spec.name()))
                .max(Comparator.comparingDouble(rate)).orElse(null);
    }

    /** A Markdown table: one row per op timed, backend by backend, then the notes. */
    public String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("| backend | op | shape | median | GFLOP/s | of GEMM peak | GB/s | of copy peak |\n");
        out.append("|---|---|---|---:|---:|---:|---:|---:|\n");
        List<String> backends = timings.stream().map(Timing::backend).distinct().toList();
        for (String backend : backends) {
            Peaks peaks = peaks(backend);
            for (Timing t : timings) {
                if (t.backend.equals(backend)) {
                    out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", backend,
                            t.spec.op(), t.spec.shape(), duration(t.seconds),
                            t.spec.flops() == 0 ? "–" : number(t.gflops()),
                            t.spec.flops() == 0 ? "–" : percent(t.gflops() / peaks.gflops()),
                            number(t.gigabytesPerSecond()), percent(t.gigabytesPerSecond() / peaks.gigabytesPerSecond())));
                }
            }
        }
        notes.forEach((backend, why) -> out.append("| ").append(backend).append(" | ").append(why)
                .append(" | | | | | | |\n"));
        return out.toString();
    }

    /** The peaks of every device timed, one line each, naming the backends that reached them. */
    public String peaksSummary() {
        StringBuilder out = new StringBuilder();
        for (String device : timings.stream().map(t -> deviceOf(t.backend)).distinct().toList()) {
            String backend = timings.stream().filter(t -> deviceOf(t.backend).equals(device)).findFirst()
                    .orElseThrow().backend;
            Peaks p = peaks(backend);
            out.append(String.format(Locale.ROOT, "%s peaks: GEMM %s GFLOP/s (%s), copy %s GB/s (%s)%n", device,
                    number(p.gflops()), p.gemmBackend() == null ? "not timed" : p.gemmBackend(),
                    number(p.gigabytesPerSecond()), p.copyBackend() == null ? "not timed" : p.copyBackend()));
        }
        return out.toString();
    }

    /** "812 µs", "12.3 ms", "1.20 s": three significant digits. */
    static String duration(double seconds) {
        if (seconds < 1e-3) {
            return significant(seconds * 1e6) + " µs";
        }
        return seconds < 1 ? significant(seconds * 1e3) + " ms" : significant(seconds) + " s";
    }

    /** "37.2 %", "0.41 %"; "–" where there is no peak to compare with. */
    static String percent(double fraction) {
        return Double.isFinite(fraction) ? significant(100 * fraction) + " %" : "–";
    }

    static String number(double value) {
        return Double.isFinite(value) ? significant(value) : "–";
    }

    private static String significant(double value) {
        if (value >= 100) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        return String.format(Locale.ROOT, value >= 10 ? "%.1f" : value >= 1 ? "%.2f" : "%.3f", value);
    }
}
