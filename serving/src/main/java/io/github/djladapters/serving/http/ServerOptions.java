package io.github.djladapters.serving.http;

/**
 * Where the server listens. Inference and management have their own addresses, as in DJL Serving;
 * management defaults to loopback, and a bearer token can protect it when it is bound elsewhere.
 *
 * @param host the inference address to bind
 * @param port the inference port; 0 picks a free one
 * @param managementHost the management address to bind
 * @param managementPort the management port; 0 picks a free one
 * @param managementToken the bearer token management calls must send, or null for none
 */
public record ServerOptions(String host, int port, String managementHost, int managementPort, String managementToken) {

    /**
     * Both APIs on loopback, on free ports, without a token (for tests).
     *
     * @return the options
     */
    public static ServerOptions ephemeral() {
        return new ServerOptions("127.0.0.1", 0, "127.0.0.1", 0, null);
    }
}
