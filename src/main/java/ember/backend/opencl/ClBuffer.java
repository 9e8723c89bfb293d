package ember.backend.opencl;

import static org.jocl.CL.clReleaseMemObject;

import ember.backend.Buffer;
import ember.backend.Span;
import org.jocl.cl_mem;

/**
 * A float buffer in OpenCL device memory, or a view of one at any float offset. Views pass their
 * allocation and their offset to kernels (OpenCL 1.2 sub-buffers need aligned origins).
 */
final class ClBuffer extends Span {
    private final cl_mem memory;

    /** An owning buffer; memory is null only when length is 0. */
    ClBuffer(int length, cl_mem memory) {
        super(length);
        this.memory = memory;
    }

    private ClBuffer(ClBuffer parent, int offset, int length) {
        super(parent, offset, length);
        this.memory = parent.memory;
    }

    @Override
    public Buffer slice(int offset, int length) {
        return new ClBuffer(this, offset, length);
    }

    /** The allocation this buffer lives in. */
    cl_mem memory() {
        checkOpen();
        return memory;
    }

    @Override
    protected void release() {
        if (memory != null) {
            clReleaseMemObject(memory);
        }
    }

    static ClBuffer of(Buffer b) {
        if (b instanceof ClBuffer c) {
            return c;
        }
        throw new IllegalArgumentException("not an OpenCL buffer: " + b);
    }
}
