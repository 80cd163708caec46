package io.github.djladapters.processor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.util.SortedSet;
import java.util.TreeSet;
import javax.annotation.processing.Filer;
import javax.annotation.processing.Messager;
import javax.tools.Diagnostic;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

/**
 * The {@code META-INF/services} entry that lets {@code ServiceLoader} find generated bindings.
 * Written once, when processing is over, with every bindings class of the compilation; entries of
 * an earlier (incremental) compilation already in the class output are kept, as AutoService does.
 */
final class ServicesFile {

    private final SortedSet<String> bindings = new TreeSet<>();

    /** Adds one generated bindings class by its binary name. */
    void add(String binaryName) {
        bindings.add(binaryName);
    }

    /** Writes the merged, sorted file; does nothing when this compilation generated no bindings. */
    void write(Filer filer, Messager messager) {
        if (bindings.isEmpty()) {
            return;
        }
        SortedSet<String> all = new TreeSet<>(bindings);
        all.addAll(existing(filer));
        try {
            FileObject file = filer.createResource(StandardLocation.CLASS_OUTPUT, "", RuntimeTypes.SERVICES_FILE);
            try (Writer writer = file.openWriter()) {
                for (String name : all) {
                    writer.write(name);
                    writer.write('\n');
                }
            }
        } catch (IOException | RuntimeException e) {
            messager.printMessage(Diagnostic.Kind.ERROR,
                    Message.SERVICES_FILE_NOT_WRITTEN.format(RuntimeTypes.SERVICES_FILE, String.join(", ", bindings), e));
        }
    }

    /** The entries of a services file left by an earlier compilation, or none. */
    private static SortedSet<String> existing(Filer filer) {
        SortedSet<String> names = new TreeSet<>();
        try {
            FileObject file = filer.getResource(StandardLocation.CLASS_OUTPUT, "", RuntimeTypes.SERVICES_FILE);
            try (Reader reader = file.openReader(true); BufferedReader lines = new BufferedReader(reader)) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    int comment = line.indexOf('#');
                    String name = (comment < 0 ? line : line.substring(0, comment)).trim();
                    if (!name.isEmpty()) {
                        names.add(name);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // no earlier file: a clean build
        }
        return names;
    }
}
