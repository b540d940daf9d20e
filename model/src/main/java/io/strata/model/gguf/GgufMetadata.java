package io.strata.model.gguf;

import io.strata.model.ModelFormatException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with typed getters. Getters widen any integer type
 * (llama.cpp demands the exact stored type; being tolerant costs nothing) and report a wrong type or a missing
 * required key as a {@link ModelFormatException} naming the key and where its value starts.
 */
public final class GgufMetadata {
    /** The key that sets the data alignment (UINT32 power of two, default 32). */
    public static final String ALIGNMENT_KEY = "general.alignment";
    /**
     * Most layers {@link #getPerLayer} expands a single value to. Real models have at most a few hundred; the limit
     * keeps a hostile block count from turning into a multi-gigabyte int[].
     */
    static final int MAX_LAYERS = 1 << 16;

    private final String file;
    private final Map<String, GgufValue> values;
    private final Map<String, Long> offsets;

    public GgufMetadata(String file, Map<String, GgufValue> values, Map<String, Long> offsets) {
        this.file = file;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.offsets = Map.copyOf(offsets);
    }

    public Set<String> keys() { return values.keySet(); }

    public Map<String, GgufValue> asMap() { return values; }

    public boolean contains(String key) { return values.containsKey(key); }

    /** The raw value, or null. */
    public GgufValue get(String key) { return values.get(key); }

    public String getString(String key) {
        return string(required(key), key);
    }

    public String getString(String key, String fallback) {
        GgufValue v = values.get(key);
        return v == null ? fallback : string(v, key);
    }

    public long getLong(String key) {
        return integer(required(key), key);
    }

    public long getLong(String key, long fallback) {
        GgufValue v = values.get(key);
        return v == null ? fallback : integer(v, key);
    }

    /** An integer that must fit a non-negative int (a count or a dimension). */
    public int getCount(String key) {
        return count(getLong(key), key);
    }

    public int getCount(String key, int fallback) {
        return values.containsKey(key) ? getCount(key) : fallback;
    }

    public float getFloat(String key, float fallback) {
        GgufValue v = values.get(key);
        if (v == null) {
            return fallback;
        }
        Double d = v.asDouble();
        if (d == null) {
            throw wrongType(key, v, "a number");
        }
        return d.floatValue();
    }

    public boolean getBool(String key, boolean fallback) {
        GgufValue v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v.type() == GgufValueType.BOOL) {
            return (Boolean) v.value();
        }
        Long l = v.asLong();
        if (l == null) {
            throw wrongType(key, v, "a bool");
        }
        return l != 0;
    }

    public GgufArray getArray(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            return null;
        }
        if (v.type() != GgufValueType.ARRAY) {
            throw wrongType(key, v, "an array");
        }
        return (GgufArray) v.value();
    }

    /** A string array, or null when the key is absent. */
    public String[] getStringArray(String key) {
        GgufArray a = getArray(key);
        if (a == null) {
            return null;
        }
        if (!(a.values() instanceof String[] s)) {
            throw wrongType(key, values.get(key), "an array of strings");
        }
        return s;
    }

    /** A numeric array converted to float, or null when the key is absent. */
    public float[] getFloatArray(String key) {
        GgufArray a = getArray(key);
        if (a == null) {
            return null;
        }
        if (a.values() instanceof float[] f) {
            return f;
        }
        if (a.values() instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
        if (!a.elementType().isInteger()) {
            throw wrongType(key, values.get(key), "an array of numbers");
        }
        float[] f = new float[a.length()];
        for (int i = 0; i < f.length; i++) {
            f[i] = a.longAt(i);
        }
        return f;
    }

    /** An integer array as int[], or null when the key is absent. */
    public int[] getIntArray(String key) {
        GgufArray a = getArray(key);
        if (a == null) {
            return null;
        }
        if (!a.elementType().isInteger() && a.elementType() != GgufValueType.BOOL) {
            throw wrongType(key, values.get(key), "an array of integers");
        }
        int[] out = new int[a.length()];
        for (int i = 0; i < out.length; i++) {
            long l = a.longAt(i);
            if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                throw error(key, "element " + i + " = " + l + " does not fit a 32-bit integer");
            }
            out[i] = (int) l;
        }
        return out;
    }

    /**
     * Either one integer for every layer or an array of per-layer values (llama.cpp allows both for head counts
     * and feed-forward lengths). {@code layers} usually comes from the file too, so it is bounded here.
     */
    public int[] getPerLayer(String key, int layers, int[] fallback) {
        GgufValue v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (layers < 0 || layers > MAX_LAYERS) {
            throw error(key, "cannot hold per-layer values for " + layers + " layers (at most " + MAX_LAYERS + ")");
        }
        int[] out = new int[layers];
        if (v.type() == GgufValueType.ARRAY) {
            int[] a = getIntArray(key);
            if (a.length != layers) {
                throw error(key, "has " + a.length + " entries for " + layers + " layers");
            }
            for (int i = 0; i < layers; i++) {
                out[i] = count(a[i], key);
            }
        } else {
            java.util.Arrays.fill(out, getCount(key));
        }
        return out;
    }

    public ModelFormatException error(String key, String problem) {
        return new ModelFormatException(file, "metadata '" + key + "'", offsets.getOrDefault(key, ModelFormatException.NO_OFFSET), problem);
    }

    private GgufValue required(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw new ModelFormatException(file, "metadata '" + key + "'", ModelFormatException.NO_OFFSET, "required key is missing");
        }
        return v;
    }

    private String string(GgufValue v, String key) {
        if (v.type() != GgufValueType.STRING) {
            throw wrongType(key, v, "a string");
        }
        return (String) v.value();
    }

    private long integer(GgufValue v, String key) {
        Long l = v.asLong();
        if (l == null) {
            throw wrongType(key, v, "an integer");
        }
        return l;
    }

    private int count(long l, String key) {
        if (l < 0 || l > Integer.MAX_VALUE) {
            throw error(key, "value " + l + " is out of range");
        }
        return (int) l;
    }

    private ModelFormatException wrongType(String key, GgufValue v, String wanted) {
        return error(key, "expected " + wanted + " but the file stores " + v.type());
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
