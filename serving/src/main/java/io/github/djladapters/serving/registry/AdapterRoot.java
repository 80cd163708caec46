package io.github.djladapters.serving.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The one folder adapters may be loaded from. A {@code src} is a path relative to it or an absolute
 * path inside it; URLs, {@code ..} segments and symbolic links that lead out of it are refused, so a
 * management call cannot make the server read arbitrary files.
 */
public final class AdapterRoot {

    private static final Pattern URL_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:.*");

    private final Path root;

    /**
     * A root folder.
     *
     * @param root an existing folder
     * @throws IllegalArgumentException when it is not a folder
     */
    public AdapterRoot(Path root) {
        try {
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("adapter root " + root + " does not exist", e);
        }
        if (!Files.isDirectory(this.root)) {
            throw new IllegalArgumentException("adapter root " + root + " is not a folder");
        }
    }

    /**
     * The root folder.
     *
     * @return its real path
     */
    public Path path() {
        return root;
    }

    /**
     * Resolves a {@code src} to an existing folder inside the root.
     *
     * @param src a path relative to the root, or an absolute path inside it
     * @return the real path of the adapter folder
     * @throws RegistryException (400) for a URL, a {@code ..} segment, a path outside the root (also
     *     through a symbolic link) or a folder that does not exist
     */
    public Path resolve(String src) {
        if (src == null || src.isBlank()) {
            throw new RegistryException(RegistryException.Reason.BAD_REQUEST, "Parameter src is required");
        }
        boolean windowsDrive = src.length() > 2 && src.charAt(1) == ':' && Character.isLetter(src.charAt(0));
        if (URL_SCHEME.matcher(src).matches() && !windowsDrive) {
            throw refused(src, "URLs are not accepted, only local paths under " + root);
        }
        Path given;
        try {
            given = Path.of(src);
        } catch (InvalidPathException e) {
            throw refused(src, "not a valid path");
        }
        for (Path part : given) {
            if (part.toString().equals("..")) {
                throw refused(src, "'..' is not allowed");
            }
        }
        Path candidate = given.isAbsolute() ? given.normalize() : root.resolve(given).normalize();
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (IOException e) {
            throw refused(src, "no such folder under the adapter root " + root);
        }
        if (!real.startsWith(root)) {
            throw refused(src, "it leads outside the adapter root " + root);
        }
        if (!Files.isDirectory(real)) {
            throw refused(src, "not a folder");
        }
        return real;
    }

    private static RegistryException refused(String src, String why) {
        return new RegistryException(RegistryException.Reason.BAD_REQUEST, "Invalid adapter src '" + src + "': " + why);
    }
}
