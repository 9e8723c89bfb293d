package ember.backend.opencl;

import ember.backend.ConvShape;

/**
 * Which convolutions the direct kernels (kernels/opencl/conv_direct.cl) take, and by which
 * kernel: ResNet's 3 x 3 with padding 1 at stride 1 or 2 and its 1 x 1 stride-2 shortcut, where
 * output rows are whole 8-wide segments and the kernels' channel blocks divide the channel
 * counts. A null kernel name means im2col + GEMM.
 */
final class DirectConv {
    /** Output channels per work-item of the forward kernels: EMBER_CONV_CB in conv_direct.cl. */
    static final int FORWARD_BLOCK = 16;
    /** Input channels per work-item of the stride-2 backward-data kernels: EMBER_DATA_CB. */
    static final int DATA_BLOCK = 8;
    /** Output columns per work-item of the stride-2 backward-data kernels. */
    static final int DATA_SEGMENT = 8;

    private DirectConv() {
    }

    /** The forward kernel, or null. */
    static String forward(ConvShape s) {
        String family = family(s);
        return family != null && s.outChannels() % FORWARD_BLOCK == 0 ? family + vectors(s).suffix : null;
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
            return s.inChannels() % FORWARD_BLOCK == 0 ? family + vectors(s).suffix : null;
        }
        return s.inChannels() % DATA_BLOCK == 0 ? family + "_data_v8" : null;
    }

    /** The weight-gradient kernel, which takes output channels in pairs, or null. */
    static String filter(ConvShape s) {
        String family = family(s);
        return family != null && s.outChannels() % 2 == 0 ? family + "_filter" + vectors(s).suffix : null;
    }

    /** Whether the kernels read the input zero-padded in memory (ember_pad1): the 3 x 3 ones. */
    static boolean padded(ConvShape s) {
        return s.kernel() == 3;
    }

    /** Output columns per work-item of the forward kernels. */
    static int segment(ConvShape s) {
        return vectors(s).columns;
    }

    /** Output rows per work-item of the forward kernels. */
    static int rows(ConvShape s) {
        return vectors(s).rows;
    }

    /** The shape of the kernels' vectors: columns of how many output rows, and the kernel name's suffix. */
    private enum Vectors {
        /** 16 outputs of a row. */
        V16(16, 1, "_v16"),
        /** 8 outputs of each of two rows. */
        V8X2(8, 2, "_v8x2"),
        /** 8 outputs of a row. */
        V8(8, 1, "_v8");

        final int columns, rows;
        final String suffix;

        Vectors(int columns, int rows, String suffix) {
            this.columns = columns;
            this.rows = rows;
            this.suffix = suffix;
        }
    }

    /** 16 of a row where they divide a stride-1 row, else 8 of two rows where the output height is even, else 8 of one. */
    private static Vectors vectors(ConvShape s) {
        if (s.stride() == 1 && s.outWidth() % 16 == 0) {
            return Vectors.V16;
        }
        return s.outHeight() % 2 == 0 ? Vectors.V8X2 : Vectors.V8;
    }

    /** ember_conv3x3, _conv3x3_s2 or _conv1x1_s2 where s has that geometry and whole 8-wide output rows; else null. */
    private static String family(ConvShape s) {
        if (s.kernel() == 3 && s.stride() == 1 && s.padding() == 1 && s.width() % 8 == 0) {
            return "ember_conv3x3";
        }
        boolean halves = s.height() % 2 == 0 && s.width() % 16 == 0;
        if (s.kernel() == 3 && s.stride() == 2 && s.padding() == 1 && halves) {
            return "ember_conv3x3_s2";
        }
        if (s.kernel() == 1 && s.stride() == 2 && s.padding() == 0 && halves) {
            return "ember_conv1x1_s2";
        }
        return null;
    }
}
