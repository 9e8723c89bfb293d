package ember.backend.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What of cuDNN 9 this machine has, for `ember doctor`: the front library, the sub-libraries it
 * loads from its own folder, and the cuBLASLt and NVRTC its engines need ({@link CudnnLibrary}
 * loads them in this order, the graph library first).
 */
public final class CudnnFiles {
    static final List<String> SUB_LIBRARIES = List.of("libcudnn_graph.so.9", "libcudnn_ops.so.9",
            "libcudnn_cnn.so.9", "libcudnn_engines_precompiled.so.9", "libcudnn_engines_runtime_compiled.so.9",
            "libcudnn_heuristic.so.9");
    static final List<String> NEEDED_BESIDE = List.of("libcublasLt.so.13", "libnvrtc.so.13");

    private CudnnFiles() {}

    /** One line per file: where it is, or that it is missing; the first line says where cuDNN was found. */
    public static List<String> report() {
        List<String> lines = new ArrayList<>();
        LibraryLocator.Found front;
        try {
            front = CudaLibraries.cudnn().find();
        } catch (LibraryLocator.LibraryNotFoundException e) {
            lines.add(e.getMessage());
            return lines;
        }
        lines.add("libcudnn.so.9: " + front.file() + " (" + front.how() + ")");
        Path folder = Path.of(front.file()).getParent();
        if (folder == null) {
            lines.add("its sub-libraries: on the loader's search path (not checked file by file)");
            return lines;
        }
        for (String name : SUB_LIBRARIES) {
            lines.add(name + ": " + (Files.exists(folder.resolve(name)) ? "beside it" : "MISSING from " + folder));
        }
        for (String name : NEEDED_BESIDE) {
            boolean found = Files.exists(folder.resolve(name)) || CudaLibraries.pythonSitePackages().stream()
                    .anyMatch(site -> Files.exists(site.resolve("nvidia/cu13/lib").resolve(name)));
            lines.add(name + ": " + (found ? "found" : "not found (cuDNN's runtime-compiled engines need it)"));
        }
        return lines;
    }
}
