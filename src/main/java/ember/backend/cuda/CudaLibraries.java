package ember.backend.cuda;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the CUDA driver (libcuda) and cuBLAS are looked for, and under which overrides. */
final class CudaLibraries {
    private CudaLibraries() {}

    static final String LIBCUDA_PROPERTY = "ember.libcuda";
    static final String LIBCUDA_ENV = "EMBER_LIBCUDA";
    static final String CUBLAS_PROPERTY = "ember.cublas";
    static final String CUBLAS_ENV = "EMBER_CUBLAS";

    /** The driver comes with the NVIDIA kernel driver package, not the toolkit. */
    static LibraryLocator libcuda() {
        return new LibraryLocator("CUDA driver library", LIBCUDA_PROPERTY, LIBCUDA_ENV, List.of("libcuda.so.1"),
                List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"), Path.of("/usr/lib/wsl/lib")));
    }

    /**
     * cuBLAS 13 first (CUDA 13 machines), then 12. Besides the toolkit folders, look in Python
     * wheels: CUDA 13 wheels put every library in nvidia/cu13/lib, CUDA 12 ones in nvidia/cublas/lib.
     */
    static LibraryLocator cublas() {
        return new LibraryLocator("cuBLAS", CUBLAS_PROPERTY, CUBLAS_ENV, List.of("libcublas.so.13", "libcublas.so.12"),
                toolkitAndWheelFolders("nvidia/cu13/lib", "nvidia/cublas/lib"));
    }

    /**
     * cuDNN 9's front library; its sub-libraries (graph, ops, cnn, engines, heuristic) load from
     * the same folder. CUDA 13 wheels put it in nvidia/cudnn/lib.
     */
    static LibraryLocator cudnn() {
        return new LibraryLocator("cuDNN", "ember.cudnn", "EMBER_CUDNN", List.of("libcudnn.so.9"),
                toolkitAndWheelFolders("nvidia/cudnn/lib", "nvidia/cu13/lib"));
    }

    /** $CUDA_HOME/lib64, the usual toolkit and system folders, then these folders of every Python site. */
    private static List<Path> toolkitAndWheelFolders(String... wheelFolders) {
        List<Path> folders = new ArrayList<>();
        String cudaHome = System.getenv("CUDA_HOME");
        if (cudaHome != null && !cudaHome.isBlank()) {
            folders.add(Path.of(cudaHome, "lib64"));
        }
        folders.add(Path.of("/usr/local/cuda/lib64"));
        folders.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        for (Path site : pythonSitePackages()) {
            for (String wheel : wheelFolders) {
                folders.add(site.resolve(wheel));
            }
        }
        return folders;
    }

    /** site-packages and dist-packages of the usual Python prefixes (virtualenv, conda, system, user). */
    static List<Path> pythonSitePackages() {
        List<Path> prefixes = new ArrayList<>();
        for (String env : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String value = System.getenv(env);
            if (value != null && !value.isBlank()) {
                prefixes.add(Path.of(value));
            }
        }
        prefixes.add(Path.of("/usr/local"));
        prefixes.add(Path.of("/usr"));
        prefixes.add(Path.of("/opt/conda"));
        prefixes.add(Path.of(System.getProperty("user.home"), ".local"));
        List<Path> sites = new ArrayList<>();
        for (Path prefix : prefixes) {
            Path lib = prefix.resolve("lib");
            if (!Files.isDirectory(lib)) {
                continue;
            }
            try (DirectoryStream<Path> pythons = Files.newDirectoryStream(lib, "python3*")) {
                for (Path python : pythons) {
                    for (String kind : List.of("site-packages", "dist-packages")) {
                        if (Files.isDirectory(python.resolve(kind))) {
                            sites.add(python.resolve(kind));
                        }
                    }
                }
            } catch (IOException unreadable) {
                // A folder we may not list holds nothing we can load either.
            }
        }
        return sites;
    }
}
