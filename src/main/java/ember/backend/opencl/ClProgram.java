package ember.backend.opencl;

import static org.jocl.CL.CL_PROGRAM_BINARIES;
import static org.jocl.CL.CL_PROGRAM_BINARY_SIZES;
import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;
import static org.jocl.CL.clBuildProgram;
import static org.jocl.CL.clCreateKernel;
import static org.jocl.CL.clCreateProgramWithBinary;
import static org.jocl.CL.clCreateProgramWithSource;
import static org.jocl.CL.clGetProgramBuildInfo;
import static org.jocl.CL.clGetProgramInfo;
import static org.jocl.CL.clReleaseProgram;

import ember.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * Our OpenCL C kernels (kernels/opencl/*.cl after the headers shared with CUDA, packaged under
 * /ember/opencl/), built once per
 * device as one program and cached on disk as the device's binary, keyed by device, driver,
 * build options and source: a cold PoCL build takes seconds, a cached one milliseconds.
 */
final class ClProgram implements AutoCloseable {
    /**
     * What the CUDA kernels share first (the dialect, the per-element arithmetic, and the ResNet's
     * ops written once for both), then the OpenCL-only sources.
     */
    static final List<String> SOURCES = List.of("ember_dialect.h", "ember_elementwise.h", "ember_resnet_ops.h",
            "elementwise.cl", "loss.cl", "optimizer.cl", "gemm.cl", "conv.cl", "conv_direct.cl",
            "batchnorm_planes.cl");
    static final String OPTIONS = "-cl-std=CL1.2";

    private final cl_program program;
    private final String origin;

    private ClProgram(cl_program program, String origin) {
        this.program = program;
        this.origin = origin;
    }

    /** The program for this device: from the cache when a binary for the same key is there, else compiled and cached. */
    static ClProgram build(cl_context context, OpenClDevices.Device device) {
        String source = source();
        Path cached = cacheDirectory().resolve(key(device, source) + ".bin");
        if (Files.isRegularFile(cached)) {
            try {
                byte[] binary = Files.readAllBytes(cached);
                cl_program program = clCreateProgramWithBinary(context, 1, new org.jocl.cl_device_id[] {device.id()},
                        new long[] {binary.length}, new byte[][] {binary}, null, null);
                clBuildProgram(program, 0, null, OPTIONS, null, null);
                return new ClProgram(program, "cached binary " + cached);
            } catch (IOException | CLException stale) {
                // A binary the driver no longer takes: compiled again below, and the cache rewritten.
            }
        }
        cl_program program = clCreateProgramWithSource(context, 1, new String[] {source}, null, null);
        try {
            clBuildProgram(program, 0, null, OPTIONS, null, null);
        } catch (CLException e) {
            String log = buildLog(program, device);
            clReleaseProgram(program);
            throw new IllegalStateException("OpenCL kernels do not build on " + device.name() + ": " + e.getMessage()
                    + "\n" + log, e);
        }
        save(program, cached);
        return new ClProgram(program, "compiled from source");
    }

    /** Where the program came from: "compiled from source" or the cache file. */
    String origin() {
        return origin;
    }

    cl_kernel kernel(String name) {
        return clCreateKernel(program, name, null);
    }

    private static String source() {
        StringBuilder all = new StringBuilder();
        for (String name : SOURCES) {
            String resource = "/ember/opencl/" + name;
            try (InputStream in = ClProgram.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException(resource + " is not on the class path (from kernels/, packaged "
                            + "by the build)");
                }
                all.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + resource, e);
            }
        }
        return all.toString();
    }

    /** $XDG_CACHE_HOME/ember/opencl, or ~/.cache/ember/opencl. */
    static Path cacheDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("ember").resolve("opencl");
    }

    static String key(OpenClDevices.Device device, String source) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {device.platformName(), device.name(), device.version(), device.driver(),
                OPTIONS, source}) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The device binary, written to the cache; a cache that cannot be written costs only the next build's time. */
    private static void save(cl_program program, Path file) {
        try {
            long[] size = new long[1];
            clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(size), null);
            byte[] binary = new byte[(int) size[0]];
            clGetProgramInfo(program, CL_PROGRAM_BINARIES, Sizeof.POINTER, Pointer.to(Pointer.to(binary)), null);
            AtomicFiles.write(file, out -> out.write(binary));
        } catch (IOException | CLException e) {
            System.err.println("ember: warning: OpenCL program not cached at " + file + ": " + e.getMessage());
        }
    }

    private static String buildLog(cl_program program, OpenClDevices.Device device) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(program, device.id(), CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] log = new byte[(int) size[0]];
            clGetProgramBuildInfo(program, device.id(), CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
            return new String(log, StandardCharsets.UTF_8).replace("\0", "");
        } catch (CLException e) {
            return "(no build log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        clReleaseProgram(program);
    }
}
