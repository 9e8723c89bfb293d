package ember.backend;

/**
 * Bookkeeping for a buffer that is an offset window into storage owned by a root:
 * bounds, ownership and the closed state. Views share the root's closed state, so a view
 * of a freed buffer fails loudly instead of reading freed memory.
 */
public abstract class Span implements Buffer {
    private final Span root;
    private final int offset;
    private final int length;
    private boolean closed;

    protected Span(int length) {
        this(length, 0);
    }

    /** A root whose window starts start elements into its storage (an alignment lead). */
    protected Span(int length, int start) {
        this.root = this;
        this.offset = start;
        this.length = length;
    }

    protected Span(Span parent, int offset, int length) {
        Checks.slice(parent.length, offset, length);
        this.root = parent.root;
        this.offset = parent.offset + offset;
        this.length = length;
    }

    @Override
    public final int length() {
        return length;
    }

    /** Offset of this window in the root's storage. */
    public final int offset() {
        checkOpen();
        return offset;
    }

    /** Whether this window and {@code other} share at least one element of the same storage. */
    public final boolean overlaps(Span other) {
        return root == other.root && length > 0 && other.length > 0
                && offset < other.offset + other.length && other.offset < offset + length;
    }

    protected final void checkOpen() {
        if (root.closed) {
            throw new IllegalStateException("buffer used after close: " + this);
        }
    }

    /** Releases the root's storage; called once, only for owning buffers. */
    protected void release() {}

    @Override
    public final void close() {
        if (root == this && !closed) {
            closed = true;
            release();
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + offset + ", +" + length + (root.closed ? ", closed]" : "]");
    }
}
