package io.strata.model.tokenizer;

/**
 * A piece of the input after special tokens have been cut out of it: either raw text for the tokenizer algorithm,
 * or a special token that is emitted as is.
 */
sealed interface Fragment {
    /** Raw text; never empty. */
    record Text(String text) implements Fragment {
    }

    /** A special token found verbatim in the input. */
    record Special(int id) implements Fragment {
    }
}
