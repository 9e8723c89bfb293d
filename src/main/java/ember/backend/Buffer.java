package ember.backend;

/**
 * A span of float storage owned by one backend. Owning buffers free their memory on
 * {@link #close()}; views made by {@link #slice} share it and never free it.
 * close() is idempotent; using a closed buffer throws IllegalStateException.
 */
public interface Buffer extends AutoCloseable {

    /** Number of float elements. */
    int length();

    /** A non-owning view of {@code length} elements starting at {@code offset}. */
    Buffer slice(int offset, int length);

    @Override
    void close();
}
