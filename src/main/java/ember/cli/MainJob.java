package ember.cli;

import ember.data.Cifar10;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** What a newcomer's first command runs: exp2 when data/ holds CIFAR-10, else exp1, saying why. */
@Command(name = "main", description = "The main job with default settings: exp2 (ResNet20 on CIFAR-10) when "
        + "data/ holds CIFAR-10, otherwise exp1 (function fitting).")
final class MainJob implements Callable<Integer> {
    static final Path DATA = Path.of("data");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        try {
            Cifar10.Source source = Cifar10.resolve(DATA);
            out.println("ember: found CIFAR-10 (" + source + "): running exp2, the lab's ResNet20 training, with defaults");
            out.flush();
            return spec.root().subcommands().get("exp2").execute("--data", source.path().toString());
        } catch (IOException noDataset) {
            out.println("ember: no CIFAR-10 in " + DATA.toAbsolutePath() + " (see data/README.md to get it), "
                    + "so running exp1, the lab's function fitting, with defaults");
            out.flush();
            return spec.root().subcommands().get("exp1").execute();
        }
    }
}
