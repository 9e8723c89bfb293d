package ember.backend.cpu;

import ember.backend.Buffer;
import ember.backend.Span;

/** A window into a float[] on the Java heap; BLAS reads it in place (critical downcalls). */
final class CpuBuffer extends Span {
    final float[] data;

    CpuBuffer(int length) {
        super(length);
        data = new float[length];
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
