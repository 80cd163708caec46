package io.github.djladapters.serving.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djladapters.serving.registry.RegistryStats;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ServingMetricsTest {

    @Test
    void adapterNamesBeyondTheCapShareOneSeries() {
        ServingMetrics metrics = new ServingMetrics(() -> new RegistryStats(0, 0, 0, 0), () -> 0);
        int names = ServingMetrics.MAX_ADAPTER_LABELS + 500;
        for (int i = 0; i < names; i++) {
            metrics.request("/invocations", "churn-" + i, 424, 0.001);
            metrics.request("/invocations", "churn-0", 200, 0.001);
        }
        String text = new String(metrics.scrape(), StandardCharsets.UTF_8);
        long series = Arrays.stream(text.split("\n")).filter(l -> l.startsWith("djl_adapters_requests_total{")).count();
        // the first MAX_ADAPTER_LABELS names with 424, churn-0 with 200 too, and "other" with 424
        assertEquals(ServingMetrics.MAX_ADAPTER_LABELS + 2, series, text);
        assertTrue(text.contains("djl_adapters_requests_total{adapter=\"other\",endpoint=\"/invocations\",status=\"424\"} 500.0"),
                text);
        assertTrue(text.contains("djl_adapters_requests_total{adapter=\"churn-0\",endpoint=\"/invocations\",status=\"200\"} "
                + names + ".0"), text);
    }
}
