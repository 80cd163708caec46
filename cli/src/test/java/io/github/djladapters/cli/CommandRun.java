package io.github.djladapters.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One run of the command line as a user types it: arguments in, exit code and both output streams
 * out.
 *
 * @param code the exit code
 * @param out standard output
 * @param err standard error
 */
record CommandRun(int code, String out, String err) {

    /** Model files are extracted here once for all tests. */
    static final Path CACHE = Path.of("target", "model-cache");

    /** The review data that ships in the repository. */
    static final Path TRAIN = Path.of("..", "data", "reviews", "train.jsonl");
    static final Path TEST = Path.of("..", "data", "reviews", "test.jsonl");

    static CommandRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = DjlAdapters.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new CommandRun(code, out.toString(), err.toString());
    }

    /** Runs a command that loads a model, with the shared cache directory. */
    static CommandRun withModel(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--cache-dir");
        all.add(CACHE.toString());
        return of(all.toArray(String[]::new));
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- out\n" + out + "\n--- err\n" + err;
    }
}
