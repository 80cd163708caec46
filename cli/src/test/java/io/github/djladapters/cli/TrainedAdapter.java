package io.github.djladapters.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small adapter trained once per test run through {@code train}, for the commands that read one. */
final class TrainedAdapter {

    private static Path dir;

    private TrainedAdapter() {}

    static synchronized Path dir() {
        if (dir == null) {
            try {
                Path root = Files.createTempDirectory("djl-adapters-cli");
                Path data = writeReviews(root.resolve("reviews.csv"));
                CommandRun run = CommandRun.withModel("train", "--data", data.toString(), "--output",
                        root.resolve("adapter").toString(), "--epochs", "1", "--batch-size", "4", "--max-length", "32");
                assertEquals(0, run.code(), run.toString());
                dir = root.resolve("adapter");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    /** Eight short reviews, four per label, as CSV with a quoted comma. */
    static Path writeReviews(Path file) throws IOException {
        Files.writeString(file, """
                text,label
                "Great sound, and the battery lasts for days.",positive
                The blender broke on the first day.,negative
                Comfortable shoes that I wear every day.,positive
                The kettle leaks and smells of plastic.,negative
                Excellent value and fast delivery.,positive
                "Terrible quality, I want a refund.",negative
                I love this lamp.,positive
                The charger stopped working after a week.,negative
                """);
        return file;
    }
}
