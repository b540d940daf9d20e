/**
 * ggml tensor types: how their bytes become numbers, and how llama.cpp multiplies them.
 *
 * <p>Read in this order:
 * <ol>
 *   <li>{@link io.strata.model.tensor.GgmlType}: ids, block lengths and sizes of every ggml type (formats.md 1.6).
 *   <li>{@link io.strata.model.tensor.Half}: F16 and BF16 conversions (formats.md 2.3).
 *   <li>{@link io.strata.model.tensor.Dequantizer}: weight blocks to f32, as ggml's dequantize_row_* (formats.md 2).
 *   <li>{@link io.strata.model.tensor.QuantizedActivations}: an activation vector converted to the format the
 *       weight type's dot product consumes, the way an AVX2 llama.cpp does it (formats.md 3.1, 3.2).
 *   <li>{@link io.strata.model.tensor.DotProduct}: one weight row times those activations, in the exact
 *       accumulation order of llama.cpp's AVX2 kernels (formats.md 3.4, 3.5); the per-family kernels are
 *       {@code LegacyDots}, {@code KQuantDots} and {@code FloatDots}, built on {@code Lanes}.
 *   <li>{@link io.strata.model.tensor.Quantizer}: f32 weights to any supported type with ggml's reference
 *       quantizers ({@code LegacyQuantizers}, {@code KQuantizers}, {@code ScaleSearch}), byte-identical to
 *       llama-quantize without an importance matrix.
 * </ol>
 * Weights are always read in place from {@link java.lang.foreign.MemorySegment}s (little-endian, unaligned), never
 * copied to the heap. This is the scalar reference; vectorized kernels live in the kernels module and are tested
 * against it.
 */
package io.strata.model.tensor;
