package ember.backend;

/** Argument checks shared by every backend, so each op fails the same way with the same words. */
public final class Checks {
    private Checks() {}

    public static void sameLength(String op, Buffer a, Buffer b) {
        if (a.length() != b.length()) {
            throw new IllegalArgumentException(op + ": lengths differ, " + a.length() + " vs " + b.length());
        }
    }

    public static void atLeast(String op, String what, Buffer buffer, long needed) {
        if (buffer.length() < needed) {
            throw new IllegalArgumentException(op + ": " + what + " holds " + buffer.length()
                    + " values, needs " + needed);
        }
    }

    /**
     * An aliasing rule a contract states ("never dx itself"): a and b (when both are given)
     * share no element. Cheap: two buffers' offsets, not their contents.
     */
    public static void disjoint(String op, String aName, Buffer a, String bName, Buffer b) {
        if (a instanceof Span sa && b instanceof Span sb && sa.overlaps(sb)) {
            throw new IllegalArgumentException(op + ": " + aName + " " + a + " overlaps " + bName + " " + b
                    + "; they must be separate buffers");
        }
    }

    /** A length to allocate: zero or more. */
    public static void allocation(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("allocate: negative length " + length);
        }
    }

    public static void slice(int capacity, int offset, int length) {
        if (offset < 0 || length < 0 || (long) offset + length > capacity) {
            throw new IndexOutOfBoundsException("slice [" + offset + ", " + ((long) offset + length)
                    + ") outside a buffer of " + capacity);
        }
    }

    /**
     * An index stored as a float (gather indices, class labels): it must be an exact integer in
     * [0, bound). Returns it as an int; otherwise the exception names the op and the value.
     */
    public static int index(String op, String what, double value, int bound) {
        int i = (int) value;
        if (i != value || i < 0 || i >= bound) {
            throw new IndexOutOfBoundsException(op + ": " + what + " " + value + " outside 0.." + (bound - 1));
        }
        return i;
    }

    public static void gemm(int m, int n, int k, Buffer a, Buffer b, Buffer c) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: negative size m=" + m + " n=" + n + " k=" + k);
        }
        atLeast("gemm", "A", a, (long) m * k);
        atLeast("gemm", "B", b, (long) k * n);
        atLeast("gemm", "C", c, (long) m * n);
    }

    public static void conv(ConvShape s, Buffer x, Buffer w, Buffer y) {
        atLeast("conv2d", "x", x, s.inputSize());
        atLeast("conv2d", "w", w, s.weightSize());
        atLeast("conv2d", "y", y, s.outputSize());
    }

    /** The first two buffers hold the whole tensor, the rest one value per channel. */
    public static void channels(String op, ChannelShape s, Buffer x, Buffer y, Buffer... perChannel) {
        atLeast(op, "x", x, s.size());
        atLeast(op, "y", y, s.size());
        for (Buffer b : perChannel) {
            atLeast(op, "per-channel buffer", b, s.channels());
        }
    }

    /** op's tensor and its statistics (two per image and channel), the statistics when not null. */
    public static void stats(String op, ChannelShape s, Buffer x, Buffer stats) {
        atLeast(op, "x", x, s.size());
        if (stats != null) {
            atLeast(op, "stats", stats, 2L * s.batch() * s.channels());
        }
    }

    /** op's full tensor (batch × channels × pixels) and its per-channel means (batch × channels). */
    public static void pooling(String op, ChannelShape s, String fullName, Buffer full, String pooledName, Buffer pooled) {
        atLeast(op, fullName, full, s.size());
        atLeast(op, pooledName, pooled, (long) s.batch() * s.channels());
    }

    /** Logits and their gradient hold batch × classes values, labels batch, sums (loss, correct) 2. */
    public static void crossEntropy(int batch, int classes, Buffer logits, Buffer labels, Buffer dlogits, Buffer stats) {
        atLeast("softmaxCrossEntropy", "logits", logits, (long) batch * classes);
        atLeast("softmaxCrossEntropy", "labels", labels, batch);
        atLeast("softmaxCrossEntropy", "dlogits", dlogits, (long) batch * classes);
        atLeast("softmaxCrossEntropy", "sums", stats, 2);
    }
}
