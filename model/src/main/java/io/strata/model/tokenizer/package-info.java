/**
 * Tokenizers that reproduce llama.cpp token for token.
 *
 * <p>Reading order: {@link io.strata.model.tokenizer.Tokenizer} is the entry point ({@code fromGguf}, {@code encode},
 * {@code piece}, {@code decode}). {@link io.strata.model.tokenizer.Vocabulary} loads the token list, special ids,
 * flags and end-of-generation set from GGUF metadata. Encoding first cuts special tokens out of the text
 * ({@code SpecialTokenPartition}), then runs one algorithm per {@code tokenizer.ggml.model}:
 * {@link io.strata.model.tokenizer.SpmTokenizer} ({@code llama}), {@link io.strata.model.tokenizer.BpeTokenizer}
 * ({@code gpt2}, with the regex pre-tokenizer of {@code PreTokenizer} evaluated by {@code RegexSplitter}) and
 * {@link io.strata.model.tokenizer.WpmTokenizer} ({@code bert}). {@code Unicode} holds llama.cpp's code point
 * categories, {@code ByteLevel} GPT-2's byte alphabet. For streaming output,
 * {@link io.strata.model.tokenizer.Utf8StreamDecoder} turns piece bytes into complete characters.
 *
 * <p>The behaviour followed is that of the reference llama.cpp build (b4747, Feb 2025) described in the shared
 * notes, formats.md section 5.
 */
package io.strata.model.tokenizer;
