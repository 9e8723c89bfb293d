package ember.cli;

import com.google.gson.GsonBuilder;
import ember.backend.Doctor;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The native check: what this machine offers the engine, and one tiny op on every backend. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "List every native piece the engine can use (NVIDIA driver and GPUs, cuBLAS, cuDNN, OpenCL, "
                + "BLAS), found or not, with versions and paths; then run one tiny op on each backend. "
                + "Exit 2 when the backend named with --device cannot run, saying why.")
final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--device", paramLabel = "DEVICE", description = "A backend that must work here (cpu, cuda, "
            + "opencl, opencl:N, reference): exit 2 with the reason when it does not.")
    String device;

    @Option(names = "--json", description = "One JSON object instead of text.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Doctor.Finding> natives = Doctor.natives();
        List<Doctor.Finding> backends = new ArrayList<>();
        for (String d : Doctor.devices()) {
            backends.add(Doctor.tinyOp(d));
        }
        Doctor.Finding asked = device == null ? null : backends.stream()
                .filter(b -> b.what().equals(device) || device.equals("opencl") && b.what().equals("opencl:0"))
                .findFirst().orElseGet(() -> Doctor.tinyOp(device));
        if (json) {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("natives", natives);
            all.put("backends", backends);
            if (asked != null) {
                all.put("asked", asked);
            }
            out.println(new GsonBuilder().setPrettyPrinting().create().toJson(all));
        } else {
            print(out, "Native pieces", natives);
            print(out, "Backends (one tiny op each)", backends);
        }
        out.flush();
        if (asked != null && !asked.ok()) {
            spec.commandLine().getErr().println("ember: --device " + device + " cannot run here: "
                    + String.join("; ", asked.details()));
            return Main.EXIT_BAD_INPUT;
        }
        return 0;
    }

    private static void print(PrintWriter out, String title, List<Doctor.Finding> findings) {
        out.println(title + ":");
        for (Doctor.Finding f : findings) {
            out.println("  " + (f.ok() ? "[ok]      " : "[missing] ") + f.what());
            f.details().forEach(d -> out.println("            " + d));
        }
    }
}
