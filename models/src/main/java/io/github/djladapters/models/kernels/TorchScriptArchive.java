package io.github.djladapters.models.kernels;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes, in memory, the archive that {@code torch.jit.save} writes for a module with methods and no
 * parameters or buffers, so that libtorch's {@code torch::jit::load} compiles it from TorchScript
 * source and no Python is needed. The layout (file-format version 3, as PyTorch 2.x writes it for
 * code that uses no operator with a version upgrader; libtorch 2.7.1 reads versions 1 to 10):
 *
 * <pre>
 * NAME/data.pkl             pickle (protocol 2) of the module object: __torch__.CLASS with {training: False}
 * NAME/code/__torch__.py    the serialized class: "class CLASS(Module):" with __parameters__ = [],
 *                           __buffers__ = [], "training : bool" and the methods, in the dialect that
 *                           torch.jit.save writes (fully qualified types, self annotated)
 * NAME/constants.pkl        pickle of the empty tuple (no tensor constants)
 * NAME/version              "3"
 * NAME/byteorder            "little"
 * </pre>
 *
 * <p>Entries are stored uncompressed, as PyTorch's own writer does; debug information
 * ({@code .debug_pkl}) is optional and left out.
 *
 * <pre>{@code
 * byte[] zip = TorchScriptArchive.of("Kernels", source);
 * PtSymbolBlock module = JniUtils.loadModule(manager, new ByteArrayInputStream(zip), true, false);
 * }</pre>
 */
public final class TorchScriptArchive {

    private static final String ARCHIVE = "kernels";

    private TorchScriptArchive() {}

    /**
     * The archive of one module class.
     *
     * @param className the class name that the source declares ({@code class NAME(Module):}), a Python
     *     identifier
     * @param source the class in serialized TorchScript ({@code code/__torch__.py})
     * @return the zip file's bytes
     * @throws IllegalArgumentException when the name is not an identifier or the source does not
     *     declare that class
     */
    public static byte[] of(String className, String source) {
        if (!className.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("class name '" + className + "' is not a Python identifier");
        }
        if (!source.startsWith("class " + className + "(Module):")) {
            throw new IllegalArgumentException("TorchScript source must start with 'class " + className
                    + "(Module):', it starts with '" + source.lines().findFirst().orElse("") + "'");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            stored(zip, "data.pkl", moduleObject(className));
            stored(zip, "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            stored(zip, "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(zip, "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("writing an in-memory zip", e);
        }
        return bytes.toByteArray();
    }

    /**
     * {@code __torch__.CLASS} with its one attribute {@code training = False}: PROTO 2, GLOBAL,
     * EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, MARK, BINUNICODE key, NEWFALSE, SETITEMS, BUILD, STOP.
     */
    private static byte[] moduleObject(String className) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x80);
        out.write(2);
        out.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII));
        out.write(')');
        out.write(0x81);
        out.write('}');
        out.write('(');
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        out.write('X');
        out.write(key.length); // 4-byte little-endian length
        out.write(0);
        out.write(0);
        out.write(0);
        out.writeBytes(key);
        out.write(0x89);
        out.write('u');
        out.write('b');
        out.write('.');
        return out.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] content) throws IOException {
        ZipEntry entry = new ZipEntry(ARCHIVE + "/" + name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(content.length);
        entry.setCompressedSize(content.length);
        CRC32 crc = new CRC32();
        crc.update(content);
        entry.setCrc(crc.getValue());
        entry.setTime(315532800000L); // 1980-01-01, as torch.jit.save writes: the bytes do not depend on the clock
        zip.putNextEntry(entry);
        zip.write(content);
        zip.closeEntry();
    }
}
