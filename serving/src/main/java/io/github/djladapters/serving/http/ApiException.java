package io.github.djladapters.serving.http;

/**
 * A request that fails with an HTTP status, an error type and a message for the client; the
 * server writes it as DJL Serving's {@code {code, type, message}} body (or OpenAI's error object on
 * the {@code /v1} endpoints).
 */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;

    /**
     * A failure.
     *
     * @param status the HTTP status
     * @param type the error type, such as {@code BadRequestException}
     * @param message the message for the client
     */
    public ApiException(int status, String type, String message) {
        super(message);
        this.status = status;
        this.type = type;
    }

    /**
     * A 400 Bad Request.
     *
     * @param message the message
     * @return the exception
     */
    public static ApiException badRequest(String message) {
        return new ApiException(400, "BadRequestException", message);
    }

    /**
     * A 404 for an unknown model, with DJL Serving's text.
     *
     * @param model the model name
     * @return the exception
     */
    public static ApiException modelNotFound(String model) {
        return new ApiException(404, "ModelNotFoundException", "The model " + model + " was not found");
    }

    /**
     * A 405 Method Not Allowed.
     *
     * @return the exception
     */
    public static ApiException methodNotAllowed() {
        return new ApiException(405, "MethodNotAllowedException", "Requested method is not allowed, please refer to API document.");
    }

    /**
     * The HTTP status.
     *
     * @return the status code
     */
    public int status() {
        return status;
    }

    /**
     * The error type.
     *
     * @return the type name
     */
    public String type() {
        return type;
    }
}
