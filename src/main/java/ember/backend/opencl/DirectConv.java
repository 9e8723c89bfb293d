package ember.backend.opencl;

import ember.backend.ConvShape;

/**
 * Which convolutions the direct kernels (kernels/opencl/conv_direct.cl) take, and by which
 * kernel: ResNet's 3 x 3 with padding 1 at stride 1 or 2 and its 1 x 1 stride-2 shortcut, where
 * output rows are whole vectors and the kernels' channel blocks divide the channel counts. A null
 * kernel name means im2col + GEMM.
 */
final class DirectConv {
    /** Output channels per work-item of the forward kernels: EMBER_CONV_CB in conv_direct.cl. */
    static final int FORWARD_BLOCK = 16;
    /** Input channels per work-item of the stride-2 backward-data kernels: EMBER_DATA_CB. */
    static final int DATA_BLOCK = 8;

    private DirectConv() {
    }

    /** The forward kernel, or null. */
    static String forward(ConvShape s) {
        String family = family(s);
        return family != null && s.outChannels() % FORWARD_BLOCK == 0 ? named(family, "", s) : null;
    }

    /**
     * The backward-data kernel, or null. At stride 1 it is the forward kernel, run from the
     * output's channels to the input's over reversed taps (ember_flip3x3); at stride 2 its own.
     */
    static String backwardData(ConvShape s) {
        String family = family(s);
        if (family == null) {
            return null;
        }
        if (s.stride() == 1) {
            return s.inChannels() % FORWARD_BLOCK == 0 ? named(family, "", s) : null;
        }
        return s.inChannels() % DATA_BLOCK == 0 ? named(family, "_data", s) : null;
    }

    /** The weight-gradient kernel, which takes output channels in pairs, or null. */
    static String filter(ConvShape s) {
        String family = family(s);
        return family != null && s.outChannels() % 2 == 0 ? named(family, "_filter", s) : null;
    }

    /** Whether the kernels read the input zero-padded in memory (ember_pad1): the 3 x 3 ones. */
    static boolean padded(ConvShape s) {
        return s.kernel() == 3;
    }

    /** Outputs per vector along a row: 16 where they divide a stride-1 row, else 8. */
    static int vectorWidth(ConvShape s) {
        return s.stride() == 1 && s.outWidth() % 16 == 0 ? 16 : 8;
    }

    private static String named(String family, String pass, ConvShape s) {
        return "ember_" + family + pass + "_v" + vectorWidth(s);
    }

    /** conv3x3, conv3x3_s2 or conv1x1_s2 where s has that geometry and whole 8-wide output rows; else null. */
    private static String family(ConvShape s) {
        if (s.kernel() == 3 && s.stride() == 1 && s.padding() == 1 && s.width() % 8 == 0) {
            return "conv3x3";
        }
        boolean halves = s.height() % 2 == 0 && s.width() % 16 == 0;
        if (s.kernel() == 3 && s.stride() == 2 && s.padding() == 1 && halves) {
            return "conv3x3_s2";
        }
        if (s.kernel() == 1 && s.stride() == 2 && s.padding() == 0 && halves) {
            return "conv1x1_s2";
        }
        return null;
    }
}
