package ember.backend.cuda;

import ember.backend.ConvShape;

/**
 * The 4-D descriptors each cuDNN convolution pass takes, in the order its functions take its
 * operands (see {@link Cudnn#find}): forward (x, w → y), backward data (w, dy → dx), backward
 * filter (x, dy → dw). Tensors are NCHW, filters [out channels, in channels, kernel, kernel].
 */
final class ConvDescriptors {
    private ConvDescriptors() {}

    /** The operands' dimensions, which of them are filters, and the output's length in floats. */
    record Dims(int[] a, boolean aIsFilter, int[] b, int[] out, boolean outIsFilter) {
        int outLength() {
            return Math.multiplyExact(Math.multiplyExact(out[0], out[1]), Math.multiplyExact(out[2], out[3]));
        }
    }

    static Dims of(ConvShape s, Cudnn.Pass pass) {
        int[] x = {s.batch(), s.inChannels(), s.height(), s.width()};
        int[] w = {s.outChannels(), s.inChannels(), s.kernel(), s.kernel()};
        int[] y = {s.batch(), s.outChannels(), s.outHeight(), s.outWidth()};
        return switch (pass) {
            case FORWARD -> new Dims(x, false, w, y, false);
            case BACKWARD_DATA -> new Dims(w, true, y, x, false);
            case BACKWARD_FILTER -> new Dims(x, false, y, w, true);
        };
    }
}
