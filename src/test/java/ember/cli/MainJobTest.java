package ember.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job runs again without overwriting the run before, and says where it writes. */
class MainJobTest {
    @TempDir
    Path dir;

    @Test
    void anEarlierRunIsKeptAndTheNextGoesBesideIt() throws Exception {
        Path preferred = dir.resolve("runs").resolve("exp2");
        StringWriter said = new StringWriter();
        assertEquals(preferred, MainJob.freshFolder(preferred, new PrintWriter(said, true)));
        assertEquals("", said.toString());

        Files.createDirectories(preferred);
        Files.writeString(preferred.resolve("exp2.csv"), "epoch\n");
        Path second = MainJob.freshFolder(preferred, new PrintWriter(said, true));
        assertEquals(dir.resolve("runs").resolve("exp2-2"), second);
        assertTrue(said.toString().contains(preferred + " holds an earlier run, kept; this one goes to " + second),
                said.toString());

        Files.createDirectories(second);
        Files.writeString(second.resolve("exp2.csv"), "epoch\n");
        assertEquals(dir.resolve("runs").resolve("exp2-3"), MainJob.freshFolder(preferred, new PrintWriter(said, true)));
    }
}
