package io.github.djladapters.serving.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import io.github.djladapters.serving.metrics.ServingMetrics;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Fields;

/**
 * One HTTP request and its response, as the API classes see it: method, path segments, query
 * parameters, headers, a JSON body, and blocking writes of JSON, text or server-sent events.
 */
public final class Exchange {

    /**
     * The JSON mapper of every endpoint; floats are written with Jackson's fast writer (shortest
     * decimal that reads back as the same float, about twice as fast as {@code Float.toString}).
     */
    public static final ObjectMapper JSON = JsonMapper.builder().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

    private final Request request;
    private final Response response;
    private final List<String> segments;
    private final Fields query;
    private boolean committed;
    private int status;
    private String endpoint = "unmatched";
    private String adapter = "";
    private final ServingMetrics metrics;
    private final long startNanos;
    private boolean counted;

    Exchange(Request request, Response response, ServingMetrics metrics, long startNanos) {
        this.request = request;
        this.response = response;
        this.metrics = metrics;
        this.startNanos = startNanos;
        String path = request.getHttpURI().getDecodedPath();
        this.segments = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
        this.query = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
    }

    /**
     * The HTTP method.
     *
     * @return such as {@code GET}
     */
    public String method() {
        return request.getMethod();
    }

    /**
     * The decoded path split at {@code /}, empty segments dropped.
     *
     * @return the segments
     */
    public List<String> segments() {
        return segments;
    }

    /**
     * A query parameter.
     *
     * @param name its name
     * @return its first value, or null
     */
    public String query(String name) {
        return query.getValue(name);
    }

    /**
     * A request header.
     *
     * @param name its name
     * @return its value, or null
     */
    public String header(String name) {
        return request.getHeaders().get(name);
    }

    /**
     * The body parsed as JSON.
     *
     * @return the JSON tree (an empty object for an empty body)
     * @throws ApiException (400) when the body is not JSON
     */
    public JsonNode jsonBody() {
        try {
            byte[] body = Request.asInputStream(request).readAllBytes();
            if (body.length == 0) {
                return JSON.createObjectNode();
            }
            return JSON.readTree(body);
        } catch (IOException e) {
            throw ApiException.badRequest("The request body is not valid JSON: " + e.getMessage());
        }
    }

    /**
     * Sends a JSON response.
     *
     * @param status the status
     * @param body an object Jackson can write
     * @throws IOException when writing fails
     */
    public void sendJson(int status, Object body) throws IOException {
        send(status, "application/json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body));
    }

    /**
     * Sends an inference answer as compact JSON: no indentation, since an embedding's hundreds of
     * floats would take as many bytes of white space. Management answers stay indented ({@link #sendJson}).
     *
     * @param status the status
     * @param body an object Jackson can write
     * @throws IOException when writing fails
     */
    public void sendAnswer(int status, Object body) throws IOException {
        send(status, "application/json", JSON.writeValueAsBytes(body));
    }

    /**
     * Sends a text response.
     *
     * @param status the status
     * @param contentType the content type
     * @param body the bytes
     * @throws IOException when writing fails
     */
    public void send(int status, String contentType, byte[] body) throws IOException {
        committed = true;
        this.status = status;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        count();
        Content.Sink.write(response, true, ByteBuffer.wrap(body));
    }

    /**
     * Starts a server-sent event stream ({@code text/event-stream}).
     *
     * @throws IOException when writing fails
     */
    public void startEvents() throws IOException {
        committed = true;
        this.status = 200;
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    }

    /**
     * Writes one event, {@code data: <json>}, and flushes it.
     *
     * @param data the event's data line
     * @param last whether this ends the stream
     * @throws IOException when writing fails
     */
    public void sendEvent(String data, boolean last) throws IOException {
        if (last) {
            count();
        }
        Content.Sink.write(response, last, ByteBuffer.wrap(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Counts this request in the metrics (once), with its labels and status so far. Called before
     * the last bytes of a response are written, so that a client that has read its response finds
     * the request counted.
     */
    void count() {
        if (!counted) {
            counted = true;
            metrics.request(endpoint, adapter, status, (System.nanoTime() - startNanos) / 1e9);
        }
    }

    /**
     * Names the endpoint and adapter of this request for the metrics.
     *
     * @param endpointName the route, such as {@code /v1/embeddings}
     * @param adapterName the adapter the request named, {@code ""} for none
     */
    public void label(String endpointName, String adapterName) {
        this.endpoint = endpointName;
        this.adapter = adapterName == null ? "" : adapterName;
    }

    /**
     * The endpoint label.
     *
     * @return the route, or {@code unmatched}
     */
    public String endpoint() {
        return endpoint;
    }

    /**
     * The adapter label.
     *
     * @return the adapter, {@code ""} for none
     */
    public String adapter() {
        return adapter;
    }

    /**
     * The status sent.
     *
     * @return the status, 0 before any
     */
    public int status() {
        return status;
    }

    /**
     * Whether the response has started.
     *
     * @return true once a status was sent
     */
    public boolean committed() {
        return committed;
    }
}
