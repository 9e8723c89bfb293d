package ember.cli;

import static ember.testing.CommandRun.ember;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ember.testing.CommandRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ember doctor` and `ember compare` on this machine: what they find, and how they fail. */
class DoctorAndCompareTest {
    @TempDir
    Path dir;

    @Test
    void doctorListsEveryPieceAndRunsTheCpuBackend() {
        CommandRun run = ember("doctor", "--json", "--device", "cpu");
        assertEquals(0, run.exit(), run.out() + run.err());
        JsonObject report = JsonParser.parseString(run.out()).getAsJsonObject();
        List<String> pieces = report.getAsJsonArray("natives").asList().stream()
                .map(p -> p.getAsJsonObject().get("what").getAsString()).toList();
        assertEquals(List.of("NVIDIA driver (libcuda) and GPUs", "cuBLAS", "cuDNN 9 (the CUDA backend's convolutions)",
                "OpenCL platforms and devices", "BLAS (the CPU backend's GEMM)"), pieces);
        JsonObject asked = report.getAsJsonObject("asked");
        assertEquals("cpu", asked.get("what").getAsString());
        assertTrue(asked.get("ok").getAsBoolean(), asked.toString());
    }

    @Test
    void doctorExitsTwoWhenTheAskedBackendCannotRun() {
        CommandRun run = ember("doctor", "--device", "opencl:99");
        assertEquals(2, run.exit(), run.out() + run.err());
        assertTrue(run.err().startsWith("ember: --device opencl:99 cannot run here: "), run.err());
    }

    @Test
    void compareTimesTheCpuAndListsAnAbsentBackendWithItsReason() throws Exception {
        Path out = dir.resolve("compare");
        CommandRun run = ember("compare", "--devices", "cpu,tpu", "--steps", "1", "--batch", "8", "--out",
                out.toString());
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("tpu            absent: unknown --device 'tpu'"), run.out());
        List<String> csv = Files.readAllLines(out.resolve("compare.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        String[] cpu = csv.get(1).split(",");
        assertEquals("cpu", cpu[0]);
        assertTrue(Double.parseDouble(cpu[1]) > 0 && Double.parseDouble(cpu[4]) == 1.0, csv.get(1));
    }

    @Test
    void compareRefusesZeroSteps() {
        CommandRun run = ember("compare", "--steps", "0", "--out", dir.toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("--steps and --batch must be at least 1"), run.err());
    }
}
