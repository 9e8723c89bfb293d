package ember.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads cuDNN 9 so that it works from a folder the dynamic loader does not search (a Python
 * wheel's nvidia/cudnn/lib). libcudnn.so.9 is a shim that dlopens its sub-libraries by soname,
 * and cuDNN's runtime-compiled engines need cuBLASLt and NVRTC: each of those is loaded first by
 * its full path, so that the shim's later dlopen by soname finds it already loaded (glibc matches
 * loaded libraries by soname). What was found or missing is said in {@link #loaded()}.
 */
final class CudnnLibrary {
    /** Besides cuDNN's folder, in the CUDA wheels' or toolkit's: cuBLASLt, and NVRTC with its builtins. */
    static final List<String> NEEDED_BESIDE = List.of("libcublasLt.so.13", "libcublasLt.so.12",
            "libnvrtc-builtins.so.13.0", "libnvrtc.so.13", "libnvrtc.so.12");

    private final LibraryLocator.Found front;
    private final List<String> loaded;

    private CudnnLibrary(LibraryLocator.Found front, List<String> loaded) {
        this.front = front;
        this.loaded = loaded;
    }

    /** Finds libcudnn.so.9 (CudaLibraries.cudnn: flag, env, loader path, toolkit and wheel folders) and loads it as above. */
    static CudnnLibrary load() {
        LibraryLocator.Found front = CudaLibraries.cudnn().find();
        List<String> loaded = new ArrayList<>();
        Path folder = Path.of(front.file()).toAbsolutePath().getParent();
        if (folder != null && Path.of(front.file()).isAbsolute()) {
            // CudnnFiles lists them in the order their dependencies need: graph first.
            for (String name : CudnnFiles.SUB_LIBRARIES) {
                preload(folder.resolve(name), loaded);
            }
            List<Path> besides = new ArrayList<>(List.of(folder, folder.resolveSibling("../cu13/lib").normalize()));
            besides.addAll(CudaLibraries.cublas().folders());
            for (String name : NEEDED_BESIDE) {
                besides.stream().map(f -> f.resolve(name)).filter(Files::isRegularFile).findFirst()
                        .ifPresent(file -> preload(file, loaded));
            }
        }
        // The shim opens its sub-libraries when first used (cudnnCreate), by which time they are loaded.
        return new CudnnLibrary(front, loaded);
    }

    private static void preload(Path file, List<String> loaded) {
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            SymbolLookup.libraryLookup(file, Arena.global());
            loaded.add(file.getFileName().toString());
        } catch (IllegalArgumentException unloadable) {
            loaded.add(file.getFileName() + " (did not load)");
        }
    }

    LibraryLocator.Found front() {
        return front;
    }

    /** The files loaded ahead of the shim, for the backend's description. */
    List<String> loaded() {
        return loaded;
    }
}
