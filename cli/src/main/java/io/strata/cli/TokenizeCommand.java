package io.strata.cli;

import io.strata.model.ModelSource;
import io.strata.model.store.ModelLocator;
import io.strata.model.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.StringJoiner;
import java.util.concurrent.Callable;

/** {@code strata tokenize MODEL TEXT}: the token ids, space-separated, on one line. */
@Command(name = "tokenize", description = "Print the token ids of TEXT, space-separated, on one line.")
final class TokenizeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "A stored model, a GGUF path or Hugging Face directory, a file name on STRATA_MODEL_PATH, or a reference to pull first (hf://, oci://, ollama://, https://).")
    String model;

    @Parameters(index = "1", paramLabel = "TEXT")
    String text;

    @Option(names = "--no-bos", description = "Do not add the BOS token (nor EOS when the vocabulary adds one).")
    boolean noBos;

    @Option(names = "--parse-special", description = "Recognise special tokens such as <|begin_of_text|> in TEXT.")
    boolean parseSpecial;

    @Override
    public Integer call() {
        try (ModelSource f = ServeCommand.resolve(ModelLocator.fromEnvironment(), model).open()) {
            Tokenizer t = Tokenizer.fromGguf(f.metadata());
            StringJoiner j = new StringJoiner(" ");
            for (int id : t.encode(text, !noBos, parseSpecial)) {
                j.add(Integer.toString(id));
            }
            System.out.println(j);
        }
        return 0;
    }
}
