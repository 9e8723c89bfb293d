package ember.backend.cpu;

import ember.backend.ConvShape;

/**
 * How the im2col + GEMM path turns one convolution shape's images into the columns of a
 * patch matrix (rows: input channel × kernel tap) and its output rows back into images: a
 * group of images sits side by side, {@link #columns()} each, so that one GEMM covers the
 * group. One instance per convolution shape (the batch is not part of it).
 */
sealed interface Unfolding permits Im2col, Pointwise {

    /** The plan for s: {@link Pointwise} for a 1×1 kernel without padding, else {@link Im2col}. */
    static Unfolding of(ConvShape s) {
        return s.kernel() == 1 && s.padding() == 0 ? new Pointwise(s) : new Im2col(s);
    }

    /** Columns of one image. */
    int columns();

    /** Images per GEMM: a power of two, so that groups divide a worker's share of a power-of-two batch. */
    int group();

    /** Floats of the scratch that {@link #unfold} and {@link #fold} take as planes. */
    int planesSize();

    /**
     * Writes one image's columns, from column `at` of col (ld floats a row): x's image at xOff,
     * read through inputAffine (relu(x·scale + shift) per channel, scale and shift at 2c and
     * 2c + 1, rounded as the batch norm's own) unless that is null.
     */
    void unfold(float[] x, int xOff, float[] inputAffine, float[] planes, float[] col, int ld, int at);

    /**
     * The reverse of {@link #unfold}: dx's image at dxOff = Σ of the col entries that read each
     * input value (overwritten), from column `at` of col.
     */
    void fold(float[] col, int ld, int at, float[] planes, float[] dx, int dxOff);

    /** Writes channels planes of one image's output, stored at y[yOff], from column `at` of flat (ld a row). */
    void gatherOutput(float[] flat, int ld, int at, int channels, float[] y, int yOff);

    /** The reverse of {@link #gatherOutput}: one image's output gradient into its columns of flat, junk columns zero. */
    void scatterOutput(float[] dy, int dyOff, int channels, float[] flat, int ld, int at);

    /**
     * Images per GEMM whose floats per image fit a budget: a power of two, at least 1 and at
     * most {@link #MAX_GROUP_IMAGES}.
     */
    static int group(int floatsPerImage, int budget) {
        return Integer.highestOneBit(Math.max(1, Math.min(MAX_GROUP_IMAGES, budget / floatsPerImage)));
    }

    int MAX_GROUP_IMAGES = 8;
}
