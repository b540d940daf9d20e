package io.strata.sharding;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The plan as compact JSON, the value a coordinator puts in a Hazelcast map: records as objects, spans as
 * {@code [start, end]}, enums by name. A plan whose {@code format} this build does not read is refused by
 * number, never half-read; unknown fields are refused too.
 */
public final class ShardPlanJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .build();

    private ShardPlanJson() {}

    public static String write(final ShardPlan plan) {
        try {
            return MAPPER.writeValueAsString(plan);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("a shard plan could not be written as JSON", e);
        }
    }

    public static ShardPlan read(final String json) {
        final JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (final JsonProcessingException e) {
            throw new IllegalArgumentException("not a shard plan: " + e.getOriginalMessage());
        }
        final JsonNode format = tree == null ? null : tree.get("format");
        if (format == null || !format.canConvertToInt()) {
            throw new IllegalArgumentException("not a shard plan: no format number");
        }
        if (format.intValue() != ShardPlan.FORMAT) {
            throw new IllegalArgumentException("shard plan format " + format.intValue() + " is not the one this build"
                    + " reads (" + ShardPlan.FORMAT + ")");
        }
        try {
            return MAPPER.treeToValue(tree, ShardPlan.class);
        } catch (final JsonProcessingException e) {
            throw new IllegalArgumentException("not a shard plan: " + e.getOriginalMessage());
        }
    }
}
