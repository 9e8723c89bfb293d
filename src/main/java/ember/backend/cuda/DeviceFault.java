package ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jcuda.driver.CUstream;

/**
 * Three ints of device memory where a kernel records the first bad argument only the device
 * can see (ember_record_fault in kernels/common.cuh). The backend copies them back with every read, where the host
 * waits anyway, and raises the fault there: late, but never lost and never a silent clamp.
 */
final class DeviceFault implements AutoCloseable {
    /** Codes, as EMBER_FAULT_* in kernels/ember_dialect.h. */
    static final int GATHER_INDEX = 1;
    static final int LABEL = 2;
    static final int WORDS = 3;
    static final long BYTES = WORDS * Integer.BYTES;

    private final NativeAddress.Device words = new NativeAddress.Device();
    private final CUstream stream;

    DeviceFault(CUstream stream) {
        this.stream = stream;
        cuMemAlloc(words, BYTES);
        clear();
    }

    long address() {
        return words.address();
    }

    NativeAddress.Device pointer() {
        return words;
    }

    /** Throws for the fault in {@code copied} (the words as read back), after clearing it on the device. */
    void raiseIfSet(MemorySegment copied) {
        int code = copied.get(ValueLayout.JAVA_INT, 0);
        if (code == 0) {
            return;
        }
        int a = copied.get(ValueLayout.JAVA_INT, 4);
        int b = copied.get(ValueLayout.JAVA_INT, 8);
        clear();
        if (code == GATHER_INDEX) {
            throw new IndexOutOfBoundsException("gatherRows: index " + Float.intBitsToFloat(a) + " outside 0.."
                    + (b - 1) + " (found on the device, reported at the next read)");
        }
        if (code == LABEL) {
            throw new IndexOutOfBoundsException("softmaxCrossEntropy: label " + Float.intBitsToFloat(a) + " outside 0.."
                    + (b - 1) + " (found on the device, reported at the next read)");
        }
        throw new IllegalStateException("a kernel reported fault code " + code + " (" + a + ", " + b + ")");
    }

    private void clear() {
        cuMemsetD32Async(words, 0, WORDS, stream);
    }

    @Override
    public void close() {
        cuMemFree(words);
    }
}
