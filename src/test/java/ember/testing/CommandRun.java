package ember.testing;

import ember.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;

/** One run of the real command line in this JVM: its exit status and what it printed. */
public record CommandRun(int exit, String out, String err) {

    public static CommandRun ember(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CommandRun(exit, out.toString(), err.toString());
    }
}
