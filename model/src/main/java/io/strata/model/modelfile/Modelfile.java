package io.strata.model.modelfile;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A parsed Modelfile (Ollama's format, protocols.md 3): where the weights come from and the defaults a model carries.
 * Every instruction keeps its line so that later steps (resolving FROM, importing) can still name it.
 */
public record Modelfile(From from, ModelParameters parameters, Optional<Text> template, Optional<Text> system,
                        List<Message> messages, List<Text> licenses) {

    public Modelfile {
        messages = List.copyOf(messages);
        licenses = List.copyOf(licenses);
    }

    /** The argument of FROM. */
    public sealed interface From {
        int line();

        /** An existing file (a GGUF, checked when imported). */
        record File(Path path, int line) implements From {}

        /** An existing directory (a Hugging Face safetensors checkpoint, converted to GGUF when a model is created). */
        record Directory(Path path, int line) implements From {}

        /** Neither: a model in the store or a file name on STRATA_MODEL_PATH. */
        record Reference(String name, int line) implements From {}

        /**
         * A pull reference ({@code hf://}, {@code oci://}, {@code ollama://}, {@code https://}, {@code file://}):
         * pulled into the store first unless it is there already.
         */
        record Pull(String reference, int line) implements From {}
    }

    /** A text argument and the line its instruction starts on. */
    public record Text(String value, int line) {}

    /** A MESSAGE: a few-shot turn. */
    public record Message(String role, String content) {}
}
