package ember.backend.opencl;

import static org.jocl.CL.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_TYPE;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_DEVICE_VERSION;
import static org.jocl.CL.CL_DRIVER_VERSION;
import static org.jocl.CL.CL_PLATFORM_NAME;
import static org.jocl.CL.clGetDeviceIDs;
import static org.jocl.CL.clGetDeviceInfo;
import static org.jocl.CL.clGetPlatformIDs;
import static org.jocl.CL.clGetPlatformInfo;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * The OpenCL devices this machine offers, GPUs first (so "opencl" means the first GPU when there
 * is one), or why there are none: no OpenCL loader, no platform (ICD) installed, no device.
 */
public final class OpenClDevices {
    private OpenClDevices() {}

    /** One device: its place in {@link #list()}'s order (what opencl:N names), and what it is. */
    public record Device(int index, cl_platform_id platform, cl_device_id id, String name, String platformName,
                         boolean gpu, String version, String driver, int computeUnits) {
        /** e.g. "pthread-AMD EPYC 7B13 (CPU; Portable Computing Language, OpenCL 3.0 PoCL 3.1, 2 compute units)". */
        public String describe() {
            return name + " (" + (gpu ? "GPU" : "not a GPU") + "; " + platformName + ", " + version + ", driver "
                    + driver + ", " + computeUnits + " compute units)";
        }
    }

    /** The devices found, or the reason there are none (then {@code devices} is empty). */
    public record Listing(List<Device> devices, String reason) {
        public boolean any() {
            return !devices.isEmpty();
        }

        /** One line per device, "opencl:N  description", for messages. */
        public String table() {
            if (devices.isEmpty()) {
                return reason;
            }
            return String.join("; ", devices.stream().map(d -> "opencl:" + d.index() + " " + d.describe()).toList());
        }
    }

    private static Listing cached;

    /** The machine's devices; looked up once per JVM. */
    public static synchronized Listing list() {
        if (cached == null) {
            cached = lookUp();
        }
        return cached;
    }

    private static Listing lookUp() {
        try {
            CL.setExceptionsEnabled(true);
            int[] count = new int[1];
            clGetPlatformIDs(0, null, count);
            if (count[0] == 0) {
                return new Listing(List.of(), "no OpenCL platform is installed (e.g. Debian's pocl-opencl-icd for the "
                        + "CPU, or a GPU vendor's driver)");
            }
            cl_platform_id[] platforms = new cl_platform_id[count[0]];
            clGetPlatformIDs(platforms.length, platforms, null);
            List<Device> found = new ArrayList<>();
            for (cl_platform_id platform : platforms) {
                int[] n = new int[1];
                try {
                    clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, n);
                } catch (org.jocl.CLException noDevices) {
                    continue; // CL_DEVICE_NOT_FOUND: a platform without devices
                }
                cl_device_id[] ids = new cl_device_id[n[0]];
                clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids.length, ids, null);
                for (cl_device_id id : ids) {
                    long[] type = new long[1];
                    clGetDeviceInfo(id, CL_DEVICE_TYPE, Sizeof.cl_long, Pointer.to(type), null);
                    int[] units = new int[1];
                    clGetDeviceInfo(id, CL_DEVICE_MAX_COMPUTE_UNITS, Sizeof.cl_uint, Pointer.to(units), null);
                    found.add(new Device(0, platform, id, deviceString(id, CL_DEVICE_NAME),
                            platformString(platform, CL_PLATFORM_NAME), (type[0] & CL_DEVICE_TYPE_GPU) != 0,
                            deviceString(id, CL_DEVICE_VERSION), deviceString(id, CL_DRIVER_VERSION), units[0]));
                }
            }
            if (found.isEmpty()) {
                return new Listing(List.of(), count[0] + " OpenCL platform(s) but no device");
            }
            found.sort(Comparator.comparing((Device d) -> !d.gpu()));
            List<Device> numbered = new ArrayList<>();
            for (Device d : found) {
                numbered.add(new Device(numbered.size(), d.platform(), d.id(), d.name(), d.platformName(), d.gpu(),
                        d.version(), d.driver(), d.computeUnits()));
            }
            return new Listing(List.copyOf(numbered), "");
        } catch (UnsatisfiedLinkError | org.jocl.CLException e) {
            return new Listing(List.of(), "OpenCL is not usable here: " + e.getMessage()
                    + " (install an OpenCL loader, libOpenCL.so.1 from ocl-icd-libopencl1, and a platform)");
        }
    }

    private static String deviceString(cl_device_id id, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(id, param, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        clGetDeviceInfo(id, param, bytes.length, Pointer.to(bytes), null);
        return text(bytes);
    }

    private static String platformString(cl_platform_id id, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(id, param, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        clGetPlatformInfo(id, param, bytes.length, Pointer.to(bytes), null);
        return text(bytes);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8).replace("\0", "").trim();
    }
}
