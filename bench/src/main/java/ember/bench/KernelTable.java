package ember.bench;

import ember.backend.Backends;
import ember.backend.Job;
import ember.backend.Primitive;
import ember.backend.spec.KernelReport;
import ember.backend.spec.OpSpec;
import ember.backend.spec.OpSpecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link KernelBenchmark} for every op spec on each backend asked for, the peaks first
 * (always), and prints the {@link KernelReport} table: median time, GFLOP/s, GB/s and the
 * fraction of that backend's GEMM and copy peaks. An absent backend, and the ops a present one
 * lacks, get a line with the reason.
 *
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp bench/target/benchmarks.jar ember.bench.KernelTable \
 *     [--backends cpu,opencl,cuda] [--only REGEX] [--quick] [--out table.md]</pre>
 */
public final class KernelTable {
    private KernelTable() {}

    public static void main(String[] args) throws RunnerException, IOException {
        List<String> backends = List.of("cpu", "opencl", "cuda");
        Pattern only = Pattern.compile("");
        boolean quick = false;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backends" -> backends = List.of(args[++i].split(","));
                case "--only" -> only = Pattern.compile(args[++i]);
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: KernelTable [--backends cpu,opencl,cuda] [--only REGEX] [--quick] [--out FILE]");
            }
        }
        List<String> gemmPeaks = OpSpecs.gemmPeaks().stream().map(OpSpec::name).toList();
        List<String> copyPeaks = OpSpecs.copyPeaks().stream().map(OpSpec::name).toList();
        Pattern selected = only;
        List<OpSpec> chosen = OpSpecs.catalogue().stream().filter(spec -> selected.matcher(spec.name()).find()
                && !gemmPeaks.contains(spec.name()) && !copyPeaks.contains(spec.name())).toList();
        KernelReport report = new KernelReport();
        StringBuilder header = new StringBuilder("kernel benchmarks, " + Instant.now().truncatedTo(ChronoUnit.SECONDS)
                + ", " + Machine.describe() + (quick ? ", --quick" : "") + "\n");
        for (String backend : backends) {
            List<String> runnable = new ArrayList<>();
            if (!plan(backend, chosen, runnable, report, header)) {
                continue;
            }
            // The peaks first: each larger GEMM only where the one before took under 50 ms (8x
            // the work: 2048³ times a GPU well, and would take the CPU's OpenCL minutes).
            List<String> first = new ArrayList<>(copyPeaks);
            first.addFirst(gemmPeaks.getFirst());
            time(report, backend, first, quick);
            for (int i = 1; i < gemmPeaks.size() && fastEnough(report, backend, gemmPeaks.get(i - 1)); i++) {
                time(report, backend, List.of(gemmPeaks.get(i)), quick);
            }
            time(report, backend, runnable, quick);
        }
        String text = header + "\n" + report.peaksSummary() + "\n" + report.markdown();
        System.out.println();
        System.out.print(text);
        if (out != null) {
            Files.writeString(out, text);
        }
    }

    /**
     * Opens {@code backend} to see whether it is here, which device it runs on and what it lacks:
     * fills {@code runnable} with the specs it can run and notes the rest. False when it is absent.
     */
    private static boolean plan(String backend, List<OpSpec> chosen, List<String> runnable, KernelReport report,
                                StringBuilder header) {
        Map<String, Integer> lacking = new LinkedHashMap<>();
        try (Backends.Choice choice = Backends.open(backend, Job.CHECK)) {
            String description = choice.backend().description();
            header.append(backend).append(": ").append(description).append('\n');
            // The CPU backend and OpenCL on the CPU (PoCL) share the host's peaks.
            boolean host = backend.equals("cpu") || backend.equals("reference")
                    || (backend.startsWith("opencl") && description.contains("(not a GPU;"));
            report.device(backend, host ? "host" : backend);
            for (OpSpec spec : chosen) {
                Set<Primitive> missing = spec.missingOn(choice.backend());
                if (missing.isEmpty()) {
                    runnable.add(spec.name());
                } else {
                    lacking.merge(Primitive.names(EnumSet.copyOf(missing)), 1, Integer::sum);
                }
            }
        } catch (RuntimeException absent) {
            header.append(backend).append(": absent: ").append(absent.getMessage()).append('\n');
            report.note(backend, "absent: " + brief(absent.getMessage()));
            return false;
        }
        lacking.forEach((what, count) -> report.note(backend, "lacks " + what + ": " + count + " ops not run"));
        return true;
    }

    /** Runs the benchmark for {@code specs} on {@code backend} and adds each median to the report. */
    private static void time(KernelReport report, String backend, List<String> specs, boolean quick)
            throws RunnerException {
        if (specs.isEmpty()) {
            return;
        }
        List<String> pending = new ArrayList<>(specs);
        for (RunResult result : run(backend, specs, quick)) {
            String spec = result.getParams().getParam("spec");
            double median = result.getPrimaryResult().getStatistics().getPercentile(50);
            report.add(backend, OpSpecs.named(spec), median * secondsPer(result.getPrimaryResult().getScoreUnit()));
            pending.remove(spec);
        }
        if (!pending.isEmpty()) {
            report.note(backend, "failed (see JMH's output): " + String.join("; ", pending));
        }
    }

    private static boolean fastEnough(KernelReport report, String backend, String spec) {
        return report.timings().stream().anyMatch(t -> t.backend().equals(backend) && t.spec().name().equals(spec)
                && t.seconds() < 0.05);
    }

    /** A refusal's first clause, for a table cell: the header has it whole, with the paths tried. */
    private static String brief(String reason) {
        String brief = reason.replaceFirst("^--device \\S+: ", "");
        for (String end : new String[] {"; ", ": tried "}) {
            int at = brief.indexOf(end);
            brief = at > 0 ? brief.substring(0, at) : brief;
        }
        return brief;
    }

    private static Collection<RunResult> run(String backend, List<String> specs, boolean quick) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(Pattern.quote(KernelBenchmark.class.getName()) + "\\.")
                .param("backend", backend)
                .param("spec", specs.toArray(String[]::new));
        if (quick) {
            options.warmupIterations(1).warmupTime(TimeValue.milliseconds(500))
                    .measurementIterations(2).measurementTime(TimeValue.milliseconds(500));
        }
        return new Runner(options.build()).run();
    }

    private static double secondsPer(String unit) {
        return switch (unit) {
            case "ns/op" -> 1e-9;
            case "us/op" -> 1e-6;
            case "ms/op" -> 1e-3;
            case "s/op" -> 1;
            default -> throw new IllegalStateException("unexpected JMH unit " + unit);
        };
    }
}
