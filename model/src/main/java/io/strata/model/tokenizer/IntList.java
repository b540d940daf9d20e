package io.strata.model.tokenizer;

import java.util.Arrays;

/** A growable int array, so token ids and piece lengths are collected without boxing. */
final class IntList {
    private int[] values;
    private int size;

    IntList(final int capacity) {
        values = new int[Math.max(4, capacity)];
    }

    void add(final int value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, values.length * 2);
        }
        values[size++] = value;
    }

    int get(final int index) {
        return values[index];
    }

    int size() {
        return size;
    }

    /** Drops everything from {@code newSize} on. */
    void truncate(final int newSize) {
        size = newSize;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
