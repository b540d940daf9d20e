package io.strata.sharding;

/**
 * What a worker will hold, against its budget: weight slices as stored (mapped, not copied), its KV cache (F32
 * keys and values for every slot's context, for its layers and KV heads) and a fixed reserve for everything else.
 */
public record MemoryEstimate(long weightBytes, long kvCacheBytes, long reserveBytes, long budgetBytes) {

    public long totalBytes() { return weightBytes + kvCacheBytes + reserveBytes; }

    public boolean fits() { return totalBytes() <= budgetBytes; }
}
