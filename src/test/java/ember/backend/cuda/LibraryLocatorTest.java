package ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loader's messages, which are all a user without a GPU ever sees of CUDA: no GPU needed. */
class LibraryLocatorTest {
    private static final LibraryLocator CUBLAS = CudaLibraries.cublas();

    @Test
    void explicitMissingFileNamesTheFileAndTheProperty() {
        var e = assertThrows(LibraryLocator.LibraryNotFoundException.class,
                () -> CUBLAS.find("/no/such/dir/libcublas.so.13", "-D" + CudaLibraries.CUBLAS_PROPERTY));
        assertTrue(e.getMessage().contains("/no/such/dir/libcublas.so.13"), e.getMessage());
        assertTrue(e.getMessage().contains("-Dember.cublas"), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void explicitFileThatIsNoLibrarySaysItDoesNotLoad(@TempDir Path dir) throws IOException {
        Path fake = Files.writeString(dir.resolve("libcublas.so.13"), "not an ELF file");
        var e = assertThrows(LibraryLocator.LibraryNotFoundException.class,
                () -> CUBLAS.find(fake.toString(), CudaLibraries.CUBLAS_ENV));
        assertTrue(e.getMessage().contains(fake.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("EMBER_CUBLAS"), e.getMessage());
        assertTrue(e.getMessage().contains("does not load"), e.getMessage());
    }

    @Test
    void nothingFoundListsNamesFoldersAndWhatToSet(@TempDir Path dir) {
        var locator = new LibraryLocator("cuBLAS", "ember.cublas", "EMBER_CUBLAS",
                List.of("libember-absent.so.13", "libember-absent.so.12"), List.of(dir));
        var e = assertThrows(LibraryLocator.LibraryNotFoundException.class, () -> locator.find(null, null));
        String m = e.getMessage();
        for (String part : List.of("libember-absent.so.13", "libember-absent.so.12", dir.toString(),
                "-Dember.cublas=/path/to/libember-absent.so.13", "EMBER_CUBLAS")) {
            assertTrue(m.contains(part), () -> "missing '" + part + "' in: " + m);
        }
    }

    @Test
    void findsByLoaderPathThenInFolders(@TempDir Path dir) throws IOException {
        var byLoader = new LibraryLocator("libm", "p", "E", List.of("libm.so.6"), List.of()).find(null, null);
        assertEquals("by the loader's search path", byLoader.how());
        assertTrue(byLoader.symbols().find("cos").isPresent());

        Path libm = Path.of("/lib/x86_64-linux-gnu/libm.so.6");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(libm), "no " + libm + " to link to");
        Files.createSymbolicLink(dir.resolve("libember-renamed.so.1"), libm);
        var inFolder = new LibraryLocator("libm", "p", "E", List.of("libember-renamed.so.1"), List.of(dir))
                .find(null, null);
        assertEquals("in " + dir, inFolder.how());
    }

    @Test
    void cublasIsLookedForInBothWheelLayouts() {
        // CUDA 13 wheels (nvidia-cublas) use nvidia/cu13/lib; CUDA 12 ones (nvidia-cublas-cu12) nvidia/cublas/lib.
        assertEquals(List.of("libcublas.so.13", "libcublas.so.12"), CUBLAS.sonames());
        assertTrue(CUBLAS.folders().contains(Path.of("/usr/local/cuda/lib64")));
    }
}
