package io.strata.sharding;

import io.strata.model.arch.ModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where each weight of a llama-family model lives (which stage) and how it is cut among ranks ({@link Cut}),
 * by its GGUF name. A tensor without a rule is refused by name: the planner never guesses.
 */
final class TensorRules {
    static final String TOKEN_EMBEDDING = "token_embd.weight";
    static final String OUTPUT = "output.weight";
    static final String OUTPUT_NORM = "output_norm.weight";
    static final String ROPE_FREQS = "rope_freqs.weight";

    /** Which stages of a replica hold a tensor. */
    enum Scope {
        /** The stage whose layer range holds {@link Placement#layer()}. */
        LAYER,
        /** Stage 0: the token embedding. */
        FIRST_STAGE,
        /** The last stage: final norm and output head. */
        LAST_STAGE,
        /** Every stage (RoPE frequency factors). */
        EVERY_STAGE
    }

    /** One tensor's rule; {@code layer} is -1 outside the blocks. */
    record Placement(WeightTensor tensor, Scope scope, int layer, Cut cut) {}

    private static final Pattern LAYER_TENSOR = Pattern.compile("blk\\.(\\d+)\\.(.+)");

    /** Per-block tensors by the name after {@code blk.N.}. */
    private static final Map<String, Cut> LAYER_CUTS = Map.ofEntries(
            Map.entry("attn_norm.weight", new Cut.Whole()),
            Map.entry("attn_q.weight", new Cut.Rows(Axis.QUERY_HEADS)),
            Map.entry("attn_k.weight", new Cut.Rows(Axis.KV_HEADS)),
            Map.entry("attn_v.weight", new Cut.Rows(Axis.KV_HEADS)),
            Map.entry("attn_q.bias", new Cut.Columns(Axis.QUERY_HEADS)),
            Map.entry("attn_k.bias", new Cut.Columns(Axis.KV_HEADS)),
            Map.entry("attn_v.bias", new Cut.Columns(Axis.KV_HEADS)),
            Map.entry("attn_q_norm.weight", new Cut.Whole()),
            Map.entry("attn_k_norm.weight", new Cut.Whole()),
            Map.entry("attn_output.weight", new Cut.Columns(Axis.QUERY_HEADS)),
            Map.entry("attn_output.bias", new Cut.FirstRankOnly()),
            Map.entry("ffn_norm.weight", new Cut.Whole()),
            Map.entry("ffn_gate.weight", new Cut.Rows(Axis.FFN)),
            Map.entry("ffn_up.weight", new Cut.Rows(Axis.FFN)),
            Map.entry("ffn_down.weight", new Cut.Columns(Axis.FFN)));

    private static final List<String> REQUIRED_LAYER_TENSORS = List.of("attn_norm.weight", "attn_q.weight",
            "attn_k.weight", "attn_v.weight", "attn_output.weight", "ffn_norm.weight", "ffn_gate.weight",
            "ffn_up.weight", "ffn_down.weight");

    private TensorRules() {}

    /** Every tensor of the model with its rule, checked against the hyperparameters. */
    static List<Placement> placements(final ModelTensors model) {
        final ModelConfig c = model.config();
        if (c.valueDim() != c.headDim()) {
            throw new PlanException("value length " + c.valueDim() + " differs from key length " + c.headDim()
                    + ": not supported by the planner");
        }
        requirePresent(model);
        final List<Placement> out = new ArrayList<>();
        for (final WeightTensor t : model.tensors().values()) {
            final Placement p = placement(t, c);
            checkShape(p, c);
            out.add(p);
        }
        return out;
    }

    private static Placement placement(final WeightTensor t, final ModelConfig c) {
        switch (t.name()) {
            case TOKEN_EMBEDDING:
                return new Placement(t, Scope.FIRST_STAGE, -1, new Cut.Rows(Axis.VOCAB));
            case OUTPUT:
                return new Placement(t, Scope.LAST_STAGE, -1, new Cut.Rows(Axis.VOCAB));
            case OUTPUT_NORM:
                return new Placement(t, Scope.LAST_STAGE, -1, new Cut.Whole());
            case ROPE_FREQS:
                return new Placement(t, Scope.EVERY_STAGE, -1, new Cut.Whole());
            default:
                break;
        }
        final Matcher m = LAYER_TENSOR.matcher(t.name());
        final Cut cut = m.matches() ? LAYER_CUTS.get(m.group(2)) : null;
        if (cut == null) {
            throw new PlanException("tensor " + t.name() + " has no sharding rule (the planner knows token_embd, "
                    + "output, output_norm, rope_freqs and blk.N." + String.join("|", LAYER_CUTS.keySet().stream()
                    .sorted().toList()) + ")");
        }
        final int layer = Integer.parseInt(m.group(1));
        if (layer >= c.layerCount()) {
            throw new PlanException("tensor " + t.name() + " belongs to layer " + layer + ", the model has "
                    + c.layerCount() + " layers");
        }
        return new Placement(t, Scope.LAYER, layer, cut);
    }

    private static void requirePresent(final ModelTensors model) {
        final List<String> missing = new ArrayList<>();
        for (final String global : List.of(TOKEN_EMBEDDING, OUTPUT_NORM)) {
            if (model.tensor(global) == null) {
                missing.add(global);
            }
        }
        for (int i = 0; i < model.config().layerCount(); i++) {
            for (final String suffix : REQUIRED_LAYER_TENSORS) {
                if (model.tensor("blk." + i + "." + suffix) == null) {
                    missing.add("blk." + i + "." + suffix);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new PlanException("model " + model.name() + " lacks required tensors: "
                    + String.join(", ", missing.subList(0, Math.min(8, missing.size())))
                    + (missing.size() > 8 ? " and " + (missing.size() - 8) + " more" : ""));
        }
    }

    /** The length of an axis in elements (rows for the vocabulary). */
    static long axisLength(final Axis axis, final ModelConfig c) {
        return switch (axis) {
            case QUERY_HEADS -> (long) c.headCount() * c.headDim();
            case KV_HEADS -> (long) c.kvHeadCount() * c.headDim();
            case FFN -> c.feedForwardLength();
            case VOCAB -> c.vocabSize();
        };
    }

    private static void checkShape(final Placement p, final ModelConfig c) {
        final WeightTensor t = p.tensor();
        switch (p.cut()) {
            case Cut.Rows(Axis a) when t.rows() != axisLength(a, c) -> throw shape(t, t.rows() + " rows", a, c);
            case Cut.Columns(Axis a) when t.columns() != axisLength(a, c) ->
                    throw shape(t, t.columns() + " columns", a, c);
            default -> { }
        }
    }

    private static PlanException shape(final WeightTensor t, final String found, final Axis a, final ModelConfig c) {
        final String expected = switch (a) {
            case QUERY_HEADS -> c.headCount() + " heads x " + c.headDim();
            case KV_HEADS -> c.kvHeadCount() + " KV heads x " + c.headDim();
            case FFN -> "feed_forward_length " + c.feedForwardLength();
            case VOCAB -> "vocabulary " + c.vocabSize();
        };
        return new PlanException("tensor " + t.name() + " has " + found + ", the hyperparameters say " + expected
                + " = " + axisLength(a, c));
    }
}
