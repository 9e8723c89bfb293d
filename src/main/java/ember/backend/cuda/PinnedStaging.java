package ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;

import java.lang.foreign.MemorySegment;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;

/**
 * Page-locked host slots for asynchronous host-to-device copies. A write fills the next slot
 * and queues its copy; the slot is reused only after its copy's event has fired, so the host
 * may run several writes ahead of the GPU without ever waiting for the whole stream.
 * Slots grow to the largest write seen (pinned host memory, never device memory).
 */
final class PinnedStaging implements AutoCloseable {
    private static final int SLOTS = 8;

    private final CUstream stream;
    private final NativeAddress.Host[] memory = new NativeAddress.Host[SLOTS];
    private final long[] capacity = new long[SLOTS];
    private final CUevent[] copied = new CUevent[SLOTS];
    private final boolean[] pending = new boolean[SLOTS];
    private int next;

    PinnedStaging(CUstream stream) {
        this.stream = stream;
        for (int i = 0; i < SLOTS; i++) {
            copied[i] = new CUevent();
            cuEventCreate(copied[i], CUevent_flags.CU_EVENT_DISABLE_TIMING);
        }
    }

    /** A slot of at least {@code bytes} that no queued copy reads any more; pass it to {@link #queued}. */
    int acquire(long bytes) {
        int slot = next;
        next = (next + 1) % SLOTS;
        if (pending[slot]) {
            cuEventSynchronize(copied[slot]);
            pending[slot] = false;
        }
        if (capacity[slot] < bytes) {
            if (memory[slot] != null) {
                cuMemFreeHost(memory[slot]);
            }
            memory[slot] = new NativeAddress.Host();
            cuMemAllocHost(memory[slot], bytes);
            capacity[slot] = bytes;
        }
        return slot;
    }

    NativeAddress.Host pointer(int slot) {
        return memory[slot];
    }

    MemorySegment segment(int slot) {
        return MemorySegment.ofAddress(memory[slot].address()).reinterpret(capacity[slot]);
    }

    /** Marks the slot busy until the work queued on the stream so far (its copy) has run. */
    void queued(int slot) {
        cuEventRecord(copied[slot], stream);
        pending[slot] = true;
    }

    @Override
    public void close() {
        for (int i = 0; i < SLOTS; i++) {
            if (pending[i]) {
                cuEventSynchronize(copied[i]);
            }
            if (memory[i] != null) {
                cuMemFreeHost(memory[i]);
            }
            cuEventDestroy(copied[i]);
        }
    }
}
