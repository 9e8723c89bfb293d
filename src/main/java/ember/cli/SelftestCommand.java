package ember.cli;

import ember.backend.Backends;
import ember.backend.Job;
import ember.backend.Precision;
import ember.backend.parity.ParityRun;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The parity tests without Maven: every op against the reference, for the GPU check. */
@Command(name = "selftest", mixinStandardHelpOptions = true,
        description = "Run every backend op on awkward shapes against the double-precision reference "
                + "(the same cases as the parity tests); exit 1 on any mismatch.")
final class SelftestCommand implements Callable<Integer> {
    /** Exit status when any case fails. */
    static final int EXIT_MISMATCH = 1;

    @Option(names = "--device", description = "Backend to check: " + Backends.DEVICES + ". Default: ${DEFAULT-VALUE}")
    String device = "cuda";

    @Option(names = "--precision", paramLabel = "tf32|fp32", converter = PrecisionConverter.class,
            description = "GPU convolutions to check: fp32, or tf32 with its wider tolerance. Default: fp32")
    Precision precision = Precision.FP32;

    @Option(names = "--seed", description = "Seed for the inputs. Default: a fresh one, printed.")
    Long seed;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long s = seed != null ? seed : System.nanoTime();
        try (Backends.Choice choice = Backends.open(device, Job.CHECK, precision)) {
            out.println(choice.summary());
            return ParityRun.run(choice.backend(), precision, s, out) == 0 ? 0 : EXIT_MISMATCH;
        }
    }
}
