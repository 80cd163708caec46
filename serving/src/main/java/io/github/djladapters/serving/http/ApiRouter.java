package io.github.djladapters.serving.http;

import io.github.djladapters.serving.metrics.ServingMetrics;
import io.github.djladapters.serving.model.ServedModel;
import io.github.djladapters.serving.registry.RegistryException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Sends each request to the API of the address it came in on, turns failures into error bodies
 * (DJL Serving's {@code {code, type, message}}, OpenAI's error object under {@code /v1}) and counts
 * every answered request in the metrics (before its response is completed).
 */
final class ApiRouter extends Handler.Abstract {

    private final ServingMetrics metrics;
    private final Connector managementConnector;
    private final byte[] token;
    private final ManagementApi managementApi;
    private final InferenceApi inferenceApi;
    private final OpenAiApi openAiApi;

    ApiRouter(ServedModel model, ServingMetrics metrics, Connector managementConnector, String token) {
        this.metrics = metrics;
        this.managementConnector = managementConnector;
        this.token = token == null || token.isEmpty() ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.managementApi = new ManagementApi(model);
        this.inferenceApi = new InferenceApi(model);
        this.openAiApi = new OpenAiApi(model);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Exchange exchange = new Exchange(request, response, metrics, System.nanoTime());
        try {
            route(exchange, request.getConnectionMetaData().getConnector() == managementConnector);
        } catch (Throwable failure) {
            sendError(exchange, failure);
        }
        exchange.count(); // counted before its response was completed; this only covers a request that sent nothing
        callback.succeeded();
        return true;
    }

    private void route(Exchange exchange, boolean management) throws Exception {
        List<String> path = exchange.segments();
        if (path.size() == 1 && path.get(0).equals("ping")) {
            exchange.label("/ping", "");
            requireMethod(exchange, "GET");
            exchange.sendJson(200, Map.of("status", "Healthy"));
            return;
        }
        if (path.size() == 1 && path.get(0).equals("metrics")) {
            exchange.label("/metrics", "");
            requireMethod(exchange, "GET");
            exchange.send(200, metrics.contentType(), metrics.scrape());
            return;
        }
        if (management) {
            checkToken(exchange);
            if (!managementApi.handle(exchange)) {
                throw notFound();
            }
        } else if (!inferenceApi.handle(exchange) && !openAiApi.handle(exchange)) {
            throw notFound();
        }
    }

    static void requireMethod(Exchange exchange, String method) {
        if (!exchange.method().equals(method)) {
            throw ApiException.methodNotAllowed();
        }
    }

    private void checkToken(Exchange exchange) {
        if (token == null) {
            return;
        }
        String given = exchange.header("Authorization");
        if (given == null || !MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
            exchange.label("/management", "");
            throw new ApiException(401, "UnauthorizedException", "A valid bearer token is required for the management API");
        }
    }

    private static ApiException notFound() {
        return new ApiException(404, "ResourceNotFoundException", "Requested resource is not found, please refer to API document.");
    }

    private static void sendError(Exchange exchange, Throwable failure) {
        if (exchange.committed()) {
            return; // a stream already started; the client sees it end early
        }
        ApiException error = asApiError(failure);
        try {
            boolean openAi = !exchange.segments().isEmpty() && exchange.segments().get(0).equals("v1");
            Map<String, Object> body = new LinkedHashMap<>();
            if (openAi) {
                body.put("object", "error");
                body.put("message", error.getMessage());
                body.put("type", openAiType(error.status()));
                body.put("param", null);
                body.put("code", error.status());
            } else {
                body.put("code", error.status());
                body.put("type", error.type());
                body.put("message", error.getMessage());
            }
            exchange.sendJson(error.status(), body);
        } catch (Exception ignored) {
            // the client has gone; nothing else to tell it
        }
    }

    static ApiException asApiError(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof ApiException api) {
            return api;
        }
        if (cause instanceof RegistryException registry) {
            String type = switch (registry.reason()) {
                case BAD_REQUEST -> "BadRequestException";
                case NOT_FOUND -> "AdapterNotFoundException";
                case CONFLICT -> "ConflictException";
                case FAILED_DEPENDENCY -> "AdapterLoadException";
                case INSUFFICIENT_STORAGE -> "InsufficientStorageException";
                case UNAVAILABLE -> "ServiceUnavailableException";
            };
            return new ApiException(registry.reason().status(), type, registry.getMessage());
        }
        if (cause instanceof IllegalArgumentException bad) {
            return ApiException.badRequest(bad.getMessage());
        }
        return new ApiException(500, "InternalServerException", String.valueOf(cause));
    }

    private static String openAiType(int status) {
        return switch (status) {
            case 400 -> "BadRequestError";
            case 401 -> "AuthenticationError";
            case 404 -> "NotFoundError";
            case 405 -> "MethodNotAllowedError";
            default -> status >= 500 ? "InternalServerError" : "BadRequestError";
        };
    }
}
