package io.github.djladapters.runtime.files;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code README.md} saved with an adapter: Hugging Face model-card front matter as PEFT writes it
 * ({@code base_model}, {@code library_name: peft}, {@code tags}), then a few lines on how to load it.
 * No dates or machine details, so that saving twice gives the same bytes.
 */
final class ModelCard {

    private ModelCard() {}

    /**
     * The card's text.
     *
     * @param adapterName the adapter's name
     * @param peftType its {@code peft_type}
     * @param baseModel {@code base_model_name_or_path}, or null
     * @return Markdown with YAML front matter
     */
    static String text(String adapterName, String peftType, String baseModel) {
        List<String> lines = new ArrayList<>();
        lines.add("---");
        if (baseModel != null) {
            lines.add("base_model: " + baseModel);
        }
        lines.add("library_name: peft");
        lines.add("tags:");
        if (baseModel != null) {
            lines.add("- base_model:adapter:" + baseModel);
        }
        lines.add("- " + peftType.toLowerCase(Locale.ROOT));
        lines.add("- djl-adapters");
        lines.add("---");
        lines.add("");
        lines.add("# " + adapterName);
        lines.add("");
        lines.add("An adapter of PEFT type `" + peftType + "`" + (baseModel == null ? "" : " for `" + baseModel + "`")
                + ", saved by djl-adapters in PEFT's layout.");
        lines.add("");
        lines.add("- Java: `adapterModel.loadAdapter(Path.of(\"<this folder>\"), \"" + adapterName + "\")`");
        lines.add("- Python: `PeftModel.from_pretrained(base_model, \"<this folder>\")`");
        lines.add("");
        lines.add("### Framework versions");
        lines.add("");
        lines.add("- PEFT " + PeftConfigKeys.PEFT_FORMAT_VERSION + " (file layout)");
        lines.add("- " + PeftConfigWriter.PEFT_VERSION.substring(PeftConfigWriter.PEFT_VERSION.indexOf('@') + 1));
        return String.join("\n", lines) + "\n";
    }
}
