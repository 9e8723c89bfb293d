package ember.backend.cpu;

import ember.backend.Buffer;
import ember.backend.Span;

/**
 * A window into a float[] on the Java heap; BLAS reads it in place (critical downcalls). A root
 * buffer starts {@link Alignment#LEAD} values into its array, on a cache line where the JVM
 * aligns objects so, and every op indexes it from its offset.
 */
final class CpuBuffer extends Span {
    final float[] data;

    CpuBuffer(int length) {
        super(length, Alignment.LEAD);
        data = new float[Alignment.LEAD + length];
    }

    private CpuBuffer(CpuBuffer parent, int offset, int length) {
        super(parent, offset, length);
        data = parent.data;
    }

    @Override
    public Buffer slice(int offset, int length) {
        return new CpuBuffer(this, offset, length);
    }

    static CpuBuffer of(Buffer b) {
        if (b instanceof CpuBuffer c) {
            return c;
        }
        throw new IllegalArgumentException("not a cpu buffer: " + b);
    }
}
