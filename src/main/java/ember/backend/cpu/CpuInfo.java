package ember.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The kernel's description of this machine's CPUs, which the backend reads its vendor and flags from. */
final class CpuInfo {
    private CpuInfo() {}

    /** /proc/cpuinfo, or "" where there is none (not Linux), which every reader takes as "nothing known". */
    static String text() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException notLinux) {
            return "";
        }
    }
}
