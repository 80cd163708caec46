package io.github.djladapters.serving.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.serving.model.ServedModel;

import io.github.djladapters.serving.registry.AdapterPage;
import io.github.djladapters.serving.registry.AdapterRegistry;
import io.github.djladapters.serving.registry.RegistryException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The management address: DJL Serving's adapter API under {@code /models/{m}/adapters} and, since
 * one model is served, under {@code /adapters}; vLLM's {@code /v1/load_lora_adapter} and
 * {@code /v1/unload_lora_adapter}; {@code GET /models}.
 */
final class ManagementApi {

    private final ServedModel model;
    private final AdapterRegistry registry;

    ManagementApi(ServedModel model) {
        this.model = model;
        this.registry = model.registry();
    }

    /** Handles a request; false when no route matches its path. */
    boolean handle(Exchange exchange) throws Exception {
        List<String> path = exchange.segments();
        if (path.size() == 2 && path.get(0).equals("v1")
                && (path.get(1).equals("load_lora_adapter") || path.get(1).equals("unload_lora_adapter"))) {
            vllm(exchange, path.get(1).equals("load_lora_adapter"));
            return true;
        }
        if (path.size() == 1 && path.get(0).equals("models")) {
            exchange.label("/models", "");
            ApiRouter.requireMethod(exchange, "GET");
            exchange.sendJson(200, Map.of("models", List.of(Map.of("modelName", model.name(), "modelUrl", model.source(),
                    "status", "READY"))));
            return true;
        }
        List<String> adapterPath;
        if (path.size() >= 3 && path.get(0).equals("models") && path.get(2).equals("adapters")) {
            exchange.label("/models/{m}/adapters", adapterName(path.subList(3, path.size())));
            if (!model.isNamed(path.get(1))) {
                throw ApiException.modelNotFound(path.get(1));
            }
            adapterPath = path.subList(3, path.size());
        } else if (!path.isEmpty() && path.get(0).equals("adapters")) {
            exchange.label("/adapters", adapterName(path.subList(1, path.size())));
            adapterPath = path.subList(1, path.size());
        } else {
            return false;
        }
        adapters(exchange, adapterPath);
        return true;
    }

    private static String adapterName(List<String> rest) {
        return rest.isEmpty() ? "" : rest.get(0);
    }

    /** DJL Serving's adapter routes below {@code .../adapters}. */
    private void adapters(Exchange exchange, List<String> rest) throws Exception {
        String method = exchange.method();
        if (rest.isEmpty()) {
            if (method.equals("GET")) {
                AdapterPage page = registry.list(intParameter(exchange, "limit", 100), intParameter(exchange, "next_page_token", 0));
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("adapters", page.adapters());
                if (page.nextPageToken() != null) {
                    body.put("nextPageToken", page.nextPageToken());
                }
                exchange.sendJson(200, body);
            } else if (method.equals("POST")) {
                String name = required(exchange, "name");
                String src = required(exchange, "src");
                exchange.label(exchange.endpoint(), name);
                registry.register(name, src, booleanParameter(exchange, "preload", true), booleanParameter(exchange, "pin", false));
                exchange.sendJson(200, Map.of("status", "Adapter " + name + " registered"));
            } else {
                throw ApiException.methodNotAllowed();
            }
            return;
        }
        String name = rest.get(0);
        if (rest.size() == 1 && method.equals("GET")) {
            exchange.sendJson(200, registry.describe(name));
        } else if (rest.size() == 1 && method.equals("DELETE")) {
            registry.unregister(name);
            exchange.sendJson(200, Map.of("status", "Adapter " + name + " unregistered"));
        } else if (rest.size() == 2 && rest.get(1).equalsIgnoreCase("update") && method.equals("POST")) {
            Boolean preload = exchange.query("preload") == null ? null : booleanParameter(exchange, "preload", true);
            Boolean pin = exchange.query("pin") == null ? null : booleanParameter(exchange, "pin", false);
            registry.update(name, exchange.query("src"), preload, pin);
            exchange.sendJson(200, Map.of("status", "Adapter " + name + " updated"));
        } else if (rest.size() <= 2) {
            throw ApiException.methodNotAllowed();
        } else {
            throw new ApiException(404, "ResourceNotFoundException", "Requested resource is not found, please refer to API document.");
        }
    }

    /** vLLM's runtime LoRA endpoints, with vLLM's bodies and status codes. */
    private void vllm(Exchange exchange, boolean load) throws Exception {
        exchange.label(load ? "/v1/load_lora_adapter" : "/v1/unload_lora_adapter", "");
        ApiRouter.requireMethod(exchange, "POST");
        JsonNode body = exchange.jsonBody();
        String name = body.path("lora_name").asText("");
        exchange.label(exchange.endpoint(), name);
        if (load) {
            String path = body.path("lora_path").asText("");
            if (name.isEmpty() || path.isEmpty()) {
                throw new ApiException(400, "InvalidUserInput", "Both 'lora_name' and 'lora_path' must be provided.");
            }
            if (registry.contains(name)) {
                throw new ApiException(400, "InvalidUserInput", "The lora adapter '" + name + "' has already been loaded.");
            }
            try {
                registry.register(name, path, true, false);
            } catch (RegistryException e) {
                throw new ApiException(e.reason() == RegistryException.Reason.INSUFFICIENT_STORAGE ? 507 : 400,
                        "BadRequestError", e.getMessage());
            }
            exchange.send(200, "text/plain; charset=utf-8",
                    ("Success: LoRA adapter '" + name + "' added successfully.").getBytes(StandardCharsets.UTF_8));
        } else {
            if (name.isEmpty()) {
                throw new ApiException(400, "InvalidUserInput", "either 'lora_name' and 'lora_int_id' needs to be provided.");
            }
            if (!registry.contains(name)) {
                throw new ApiException(404, "NotFoundError", "The lora adapter '" + name + "' cannot be found.");
            }
            registry.unregister(name);
            exchange.send(200, "text/plain; charset=utf-8",
                    ("Success: LoRA adapter '" + name + "' removed successfully.").getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String required(Exchange exchange, String name) {
        String value = exchange.query(name);
        if (value == null || value.isEmpty()) {
            throw ApiException.badRequest("Parameter " + name + " is required");
        }
        return value;
    }

    private static int intParameter(Exchange exchange, String name, int fallback) {
        String value = exchange.query(name);
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("Parameter " + name + " must be an integer, got '" + value + "'");
        }
    }

    private static boolean booleanParameter(Exchange exchange, String name, boolean fallback) {
        String value = exchange.query(name);
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw ApiException.badRequest("Parameter " + name + " must be true or false, got '" + value + "'");
    }
}
