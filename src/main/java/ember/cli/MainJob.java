package ember.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** What a newcomer's first command runs: the lab's main exercise this build can do. */
@Command(name = "main", description = "Run the main job with sensible defaults (exp1 in this build).")
final class MainJob implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println(
                "ember: running exp1, the lab's function fitting, with default settings "
                + "(exp2, CIFAR-10 training, is not in this build yet)");
        return spec.root().subcommands().get("exp1").execute();
    }
}
