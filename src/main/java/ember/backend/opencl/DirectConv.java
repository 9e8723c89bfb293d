package ember.backend.opencl;

import ember.backend.ConvShape;

/**
 * Which convolutions the direct 3 x 3 kernels (kernels/opencl/conv3x3.cl) take: stride 1,
 * padding 1, rows a whole number of 8-wide vectors, and channel counts the kernels' blocks
 * divide. The others run as im2col + GEMM.
 */
final class DirectConv {
    /** Output channels per work-item of the forward kernels: EMBER_CONV_CB in conv3x3.cl. */
    static final int BLOCK = 16;

    private DirectConv() {
    }

    static boolean forward(ConvShape s) {
        return resNetShape(s) && s.outChannels() % BLOCK == 0;
    }

    /** Backward-data runs the forward kernel from the output's channels to the input's. */
    static boolean backwardData(ConvShape s) {
        return resNetShape(s) && s.inChannels() % BLOCK == 0;
    }

    /** The weight gradient takes output channels in pairs. */
    static boolean filter(ConvShape s) {
        return resNetShape(s) && s.outChannels() % 2 == 0;
    }

    /** Pixels per vector along a row of the given width: 16 where they divide it, else 8. */
    static int vectorWidth(int width) {
        return width % 16 == 0 ? 16 : 8;
    }

    private static boolean resNetShape(ConvShape s) {
        return s.kernel() == 3 && s.stride() == 1 && s.padding() == 1 && s.width() % 8 == 0;
    }
}
