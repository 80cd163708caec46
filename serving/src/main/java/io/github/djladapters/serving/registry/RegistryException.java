package io.github.djladapters.serving.registry;

/**
 * Why a registry call failed, with the HTTP status DJL Serving answers for it, so that the server maps
 * failures to status codes in one place and callers without HTTP still get a clear reason.
 */
public final class RegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The kinds of failure, each with DJL Serving's status code. */
    public enum Reason {
        /** A missing or malformed parameter, or a source outside the adapter root (400). */
        BAD_REQUEST(400),
        /** An unknown adapter (404). */
        NOT_FOUND(404),
        /** The name is taken (409). */
        CONFLICT(409),
        /** The adapter failed to load, or is not registered when a request names it (424). */
        FAILED_DEPENDENCY(424),
        /** No room for another resident adapter (507). */
        INSUFFICIENT_STORAGE(507),
        /** The registry is closed: the server is shutting down (503). */
        UNAVAILABLE(503);

        private final int status;

        Reason(int status) {
            this.status = status;
        }

        /**
         * The HTTP status.
         *
         * @return the status code
         */
        public int status() {
            return status;
        }
    }

    private final Reason reason;

    /**
     * A failure.
     *
     * @param reason its kind
     * @param message what went wrong, for the caller
     */
    public RegistryException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /**
     * A failure with a cause.
     *
     * @param reason its kind
     * @param message what went wrong, for the caller
     * @param cause the underlying error
     */
    public RegistryException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /**
     * The kind of failure.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
