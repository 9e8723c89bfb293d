package ember.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds one native library the same way for every library we need: an explicit file named
 * by a system property or environment variable first (an error if it is unusable, never
 * skipped), then the dynamic loader's search path by soname, then well-known folders. When
 * nothing fits, the message lists every name and folder tried and what to set.
 */
record LibraryLocator(String what, String property, String env, List<String> sonames, List<Path> folders) {

    /** A loaded library: where it came from, and its symbols (kept loaded for the JVM's life). */
    record Found(String file, String how, SymbolLookup symbols) {}

    /** Looks with the property, then the environment variable, as set for this JVM. */
    Found find() {
        String explicit = System.getProperty(property);
        String source = "-D" + property;
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getenv(env);
            source = env;
        }
        return find(explicit, source);
    }

    /** Looks with {@code explicit} (may be null) standing for the property's value; {@code source} names it. */
    Found find(String explicit, String source) {
        if (explicit != null && !explicit.isBlank()) {
            Path file = Path.of(explicit);
            if (!Files.isRegularFile(file)) {
                throw new LibraryNotFoundException(what + ": " + explicit + " (from " + source
                        + ") does not exist or is not a file; fix or unset " + source);
            }
            return load(file.toAbsolutePath().toString(), "from " + source).orElseThrow(() ->
                    new LibraryNotFoundException(what + ": " + explicit + " (from " + source + ") exists but does not load"
                            + " (wrong architecture, or a library it needs is missing; try ldd " + explicit + ")"));
        }
        for (String soname : sonames) {
            var found = load(soname, "by the loader's search path");
            if (found.isPresent()) {
                return found.get();
            }
        }
        List<String> looked = new ArrayList<>();
        for (Path folder : folders) {
            for (String soname : sonames) {
                Path file = folder.resolve(soname);
                if (Files.isRegularFile(file)) {
                    var found = load(file.toString(), "in " + folder);
                    if (found.isPresent()) {
                        return found.get();
                    }
                }
            }
            looked.add(folder.toString());
        }
        throw new LibraryNotFoundException(what + " not found: tried " + String.join(", ", sonames)
                + " on the loader path (LD_LIBRARY_PATH, ldconfig) and in "
                + (looked.isEmpty() ? "no other folders" : String.join(", ", looked))
                + "; set -D" + property + "=/path/to/" + sonames.getFirst() + " or " + env + " to the file");
    }

    private static java.util.Optional<Found> load(String nameOrPath, String how) {
        try {
            // Global arena: CUDA libraries stay loaded until the JVM exits, as they expect.
            SymbolLookup symbols = SymbolLookup.libraryLookup(nameOrPath, Arena.global());
            return java.util.Optional.of(new Found(nameOrPath, how, symbols));
        } catch (IllegalArgumentException notLoadable) {
            return java.util.Optional.empty();
        }
    }

    /** A native library we need is missing; the message says which file and what to set. */
    static final class LibraryNotFoundException extends IllegalStateException {
        LibraryNotFoundException(String message) {
            super(message);
        }
    }
}
