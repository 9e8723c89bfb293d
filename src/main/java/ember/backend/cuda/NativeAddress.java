package ember.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * JCuda keeps native addresses behind protected getters, but cuBLAS (bound with
 * java.lang.foreign) and our own copies need them. Each handle we create is one of these
 * subclasses, which may read its own protected state: no reflection.
 */
final class NativeAddress {
    private NativeAddress() {}

    /** A device allocation made by cuMemAlloc. */
    static final class Device extends CUdeviceptr {
        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    /** A stream made by cuStreamCreate; cuBLAS takes the same handle as a cudaStream_t. */
    static final class Stream extends CUstream {
        long address() {
            return getNativePointer();
        }
    }

    /** Page-locked host memory made by cuMemAllocHost. */
    static final class Host extends Pointer {
        long address() {
            return getNativePointer() + getByteOffset();
        }
    }
}
