package io.github.djladapters.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.finetune.ClassifierHead;
import io.github.djladapters.finetune.Encoder;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.finetune.TextClassifier;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.serving.model.BatchSettings;
import io.github.djladapters.serving.model.EmbeddingService;
import io.github.djladapters.serving.model.ServedModel;
import io.github.djladapters.serving.registry.AdapterRegistry;
import io.github.djladapters.serving.registry.AdapterRoot;
import io.github.djladapters.serving.registry.RegistryOptions;
import io.github.djladapters.serving.registry.TinyBert;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two tiny classifiers saved as the main job saves them (adapter folder plus classifier head) are
 * served over one tiny BERT; their scores are compared with the finetune module's own inference
 * ({@link SavedClassifier#load}, {@link TextClassifier#logits}) on a copy of the same base weights.
 */
class ClassifierServingTest {

    static final List<String> TEXTS = List.of("the service was quick", "a long and rather tedious film about nothing",
            "great value", "I would not buy it again");
    static final Map<String, List<String>> LABELS = Map.of("sentiment", List.of("negative", "positive"),
            "topic", List.of("food", "film", "shopping"));

    @TempDir
    static Path root;

    @TempDir
    static Path cache;

    static final NDManager MANAGER = NDManager.newBaseManager();
    static final HttpClient CLIENT = HttpClient.newHttpClient();
    static ServedModel model;
    static ServingServer server;
    static PaddedBatchTokenizer tokenizer;
    /** Per classifier, per text: the probability of each label, in label order. */
    static Map<String, float[][]> expected = new java.util.HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        tokenizer = AllMiniLmL6V2.tokenizer(cache, 64);
        AdapterModel<BertModel> served = TinyBert.model(MANAGER);
        long seed = 7;
        for (Map.Entry<String, List<String>> classifier : LABELS.entrySet()) {
            Path dir = root.resolve(classifier.getKey());
            TinyBert.writeLora(dir, seed++, 16);
            ClassifierHead.create(classifier.getValue(), 16, MANAGER).save(dir.resolve(SavedClassifier.HEAD_FILE));
            // the finetune module's inference, on a second model with the served model's weights
            AdapterModel<BertModel> copy = TinyBert.model(MANAGER);
            Iterator<Pair<String, Parameter>> from = served.model().getParameters().iterator();
            copy.model().getParameters().forEach(to -> to.getValue().getArray().set(from.next().getValue().getArray().toFloatArray()));
            TextClassifier reference = SavedClassifier.load(new Encoder("tiny", copy.model(), tokenizer), dir, "x", MANAGER);
            float[][] logits = reference.logits(TEXTS, 2);
            float[][] probabilities = new float[logits.length][];
            for (int i = 0; i < logits.length; i++) {
                probabilities[i] = softmax(logits[i]);
            }
            expected.put(classifier.getKey(), probabilities);
        }
        TinyBert.writeLora(root.resolve("plain"), 3, 16);
        AdapterRegistry registry = new AdapterRegistry(served, new AdapterRoot(root), RegistryOptions.DEFAULTS);
        registry.scan();
        model = new ServedModel("tiny-bert", root.toString(), registry,
                new EmbeddingService(registry, tokenizer, new BatchSettings(16, 5)), null, List.of(tokenizer));
        server = ServingServer.start(model, ServerOptions.ephemeral());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        model.close();
        MANAGER.close();
    }

    static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        float[] p = new float[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= (float) sum;
        }
        return p;
    }

    static JsonNode post(String path, Object body) throws Exception {
        HttpResponse<String> reply = CLIENT.send(HttpRequest.newBuilder(URI.create("http://" + server.inferenceAddress() + path))
                .POST(HttpRequest.BodyPublishers.ofString(Exchange.JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, reply.statusCode(), reply.body());
        return Exchange.JSON.readTree(reply.body());
    }

    /** A row's answer has every label once, best first, with the reference's probability. */
    static void assertScores(String classifier, int text, JsonNode scores) {
        List<String> labels = LABELS.get(classifier);
        assertEquals(labels.size(), scores.size(), scores.toString());
        double previous = 1;
        for (JsonNode score : scores) {
            int label = labels.indexOf(score.get("label").asText());
            assertTrue(label >= 0, scores.toString());
            assertEquals(expected.get(classifier)[text][label], score.get("score").asDouble(), 1e-5, classifier + " " + text);
            assertTrue(score.get("score").asDouble() <= previous);
            previous = score.get("score").asDouble();
        }
    }

    @Test
    void rowsOfTwoClassifiersAndAnEmbeddingAdapterShareABatch() throws Exception {
        List<String> adapters = List.of("sentiment", "topic", "plain", "sentiment");
        JsonNode outputs = post("/invocations", Map.of("inputs", TEXTS, "adapters", adapters));
        assertEquals(4, outputs.size());
        assertScores("sentiment", 0, outputs.get(0));
        assertScores("topic", 1, outputs.get(1));
        assertEquals(16, outputs.get(2).size());
        assertTrue(outputs.get(2).get(0).isNumber(), "an adapter without a head answers with an embedding");
        assertScores("sentiment", 3, outputs.get(3));
    }

    @Test
    void predictionsWithOneClassifier() throws Exception {
        JsonNode single = post("/predictions/tiny-bert?adapter=topic", Map.of("inputs", TEXTS.get(2)));
        assertScores("topic", 2, single);
        JsonNode all = post("/predictions/tiny-bert?adapter=sentiment", Map.of("inputs", TEXTS));
        for (int i = 0; i < TEXTS.size(); i++) {
            assertScores("sentiment", i, all.get(i));
        }
    }
}
