package io.github.djladapters.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code djl-adapters} command line. Exit codes: {@value #OK} on success, {@value #FAILURE} when
 * the command could not do its work (a missing file, weights that do not fit), {@value #USAGE} for
 * wrong arguments. Errors are one line on standard error; {@code --verbose} adds the stack trace.
 *
 * <pre>
 * djl-adapters train --data data/reviews/train.jsonl --eval-data data/reviews/test.jsonl --output out/reviews
 * djl-adapters eval --adapter out/reviews --data data/reviews/test.jsonl
 * </pre>
 */
@Command(name = "djl-adapters", mixinStandardHelpOptions = true, version = "djl-adapters 0.1.0",
        description = "Parameter-efficient fine-tuning (LoRA, DoRA, IA3) of BERT-family models on DJL, and serving many adapters over one base model.",
        subcommands = {SummaryCommand.class, TrainCommand.class, EvalCommand.class, MergeCommand.class,
            ConvertCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
public final class DjlAdapters implements Runnable {

    /** The command did its work. */
    public static final int OK = 0;
    /** The command failed: a file is missing or malformed, weights do not fit, writing failed. */
    public static final int FAILURE = 1;
    /** The arguments are wrong: an unknown option, a missing one, a value that does not parse. */
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Runs a command and exits with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /**
     * Runs a command without exiting, for scripts and tests.
     *
     * @param out standard output
     * @param err standard error
     * @param args the command line
     * @return the exit code
     */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        CommandLine commandLine = new CommandLine(new DjlAdapters())
                .setOut(out)
                .setErr(err)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((exception, line, parseResult) -> {
                    if (exception instanceof CommandLine.ParameterException usage) {
                        throw usage;
                    }
                    line.getErr().println("error: " + message(exception));
                    if (verbose) {
                        exception.printStackTrace(line.getErr());
                    } else {
                        line.getErr().println("(run with --verbose for the stack trace)");
                    }
                    return FAILURE;
                });
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            PrintWriter errors = exception.getCommandLine().getErr();
            errors.println("error: " + exception.getMessage());
            errors.println("usage: " + exception.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help");
            if (verbose) {
                exception.printStackTrace(errors);
            }
            return USAGE;
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    private static String message(Throwable exception) {
        String message = exception.getMessage();
        if (message == null || message.isBlank()) {
            return exception.getClass().getSimpleName();
        }
        return exception instanceof java.nio.file.NoSuchFileException ? "file not found: " + message : message;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: summary, train, eval, merge or convert");
    }
}
