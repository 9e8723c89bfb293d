package ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemFree;

import ember.backend.Buffer;
import ember.backend.Span;
import java.util.function.LongConsumer;

/** Float32 device memory: an owning allocation freed on close, or a non-owning view of one. */
final class CudaBuffer extends Span {
    /** The allocation; null for an empty buffer, which needs no device memory. */
    private final NativeAddress.Device root;
    private final LongConsumer onFree;

    CudaBuffer(int length, NativeAddress.Device root, LongConsumer onFree) {
        super(length);
        this.root = root;
        this.onFree = onFree;
    }

    private CudaBuffer(CudaBuffer parent, int offset, int length) {
        super(parent, offset, length);
        this.root = parent.root;
        this.onFree = null;
    }

    @Override
    public Buffer slice(int offset, int length) {
        return new CudaBuffer(this, offset, length);
    }

    /** Device address of this window's first element; 0 for an empty buffer. */
    long address() {
        int offset = offset(); // checks the buffer is open
        return root == null ? 0 : root.address() + (long) offset * Float.BYTES;
    }

    /** This window as a JCuda pointer, for the driver's copy and memset calls. */
    jcuda.driver.CUdeviceptr pointer() {
        int offset = offset();
        return root.withByteOffset((long) offset * Float.BYTES);
    }

    long bytes() {
        return (long) length() * Float.BYTES;
    }

    @Override
    protected void release() {
        if (root != null) {
            // Cleanup never throws: a failed free is reported and the close goes on.
            try {
                cuMemFree(root);
                onFree.accept(bytes());
            } catch (RuntimeException e) {
                System.err.println("ember: cuMemFree failed for " + this + ": " + e.getMessage());
            }
        }
    }

    static CudaBuffer of(Buffer b) {
        if (b instanceof CudaBuffer c) {
            return c;
        }
        throw new IllegalArgumentException("not a cuda buffer: " + b);
    }
}
