package ember.backend.cuda;

/** CUDA cannot run on this machine; the message says what is missing and what to set. */
public final class CudaUnavailableException extends IllegalStateException {
    public CudaUnavailableException(String reason) {
        super("CUDA is not usable here: " + reason);
    }
}
