package ember.io;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A command's output folder, checked before any work so that a bad {@code --out} fails in the
 * first second, not after an epoch: it must be (or become) a folder we can write to, proven by
 * writing and deleting a probe file. A command's files are named by globs relative to the folder
 * ("final.safetensors", "checkpoints/epoch-*.pth"); the temporary files {@link AtomicFiles}
 * leaves when a write is interrupted ({@code .NAME<digits>.tmp}) are deleted when NAME is one
 * of them, and the files an earlier run left are returned for the command to refuse or replace.
 */
public final class OutputFolder {
    private static final String PROBE = ".ember-write-probe";

    private final Path dir;
    private final List<PathMatcher> files;

    public OutputFolder(Path dir, List<String> fileGlobs) {
        this.dir = dir;
        this.files = fileGlobs.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
    }

    public Path dir() {
        return dir;
    }

    /**
     * Creates the folder if needed, proves it writable, deletes our stale temporary files and
     * returns the files of an earlier run found in it (sorted).
     *
     * @throws IOException naming the folder and the flag when it cannot be used
     */
    public List<Path> prepare() throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException("--out " + dir + ": is a file, not a folder; name a folder to write into");
        }
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(Files.write(dir.resolve(PROBE), new byte[] {1}));
        } catch (IOException e) {
            throw new IOException("--out " + dir + ": cannot write there (" + reason(e) + "); name a folder you can write to", e);
        }
        List<Path> earlier = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dir, 2)) {
            for (Path file : all.filter(Files::isRegularFile).sorted().toList()) {
                Path relative = dir.relativize(file);
                if (isOurTemporary(relative)) {
                    Files.deleteIfExists(file);
                } else if (isOurs(relative)) {
                    earlier.add(file);
                }
            }
        }
        return earlier;
    }

    /** Deletes {@code files}, e.g. an earlier run's when the user asked to overwrite them. */
    public static void delete(List<Path> files) throws IOException {
        for (Path f : files) {
            Files.deleteIfExists(f);
        }
    }

    /** The message for a folder holding another run's files, listing a few. */
    public IllegalArgumentException occupied(List<Path> earlier) {
        List<String> names = earlier.stream().limit(4).map(p -> dir.relativize(p).toString()).toList();
        return new IllegalArgumentException("--out " + dir + " holds another run's files (" + String.join(", ", names)
                + (earlier.size() > names.size() ? ", ..." : "") + "); give --overwrite to replace them, "
                + "or another --out");
    }

    private boolean isOurs(Path relative) {
        return files.stream().anyMatch(m -> m.matches(relative));
    }

    /** {@code .NAME<digits>.tmp} beside NAME, as AtomicFiles names its temporary files. */
    private boolean isOurTemporary(Path relative) {
        String name = relative.getFileName().toString();
        if (!name.startsWith(".") || !name.endsWith(".tmp")) {
            return false;
        }
        String target = name.substring(1, name.length() - 4).replaceAll("-?[0-9]+$", "");
        Path parent = relative.getParent();
        return isOurs(parent == null ? Path.of(target) : parent.resolve(target));
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.FileSystemException fs) {
            String why = fs.getReason() != null ? fs.getReason()
                    : fs instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : fs instanceof java.nio.file.FileAlreadyExistsException ? "a file is in the way"
                    : e.getClass().getSimpleName();
            return (fs.getFile() != null ? fs.getFile() + ": " : "") + why;
        }
        return e.getMessage();
    }
}
