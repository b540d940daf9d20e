package io.strata.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** llama.cpp's clean_up_tokenization_spaces passes, including their in-place quirk. */
class CleanSpacesTest {

    private static String clean(final String s) {
        return new String(CleanSpaces.apply(s.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    @Test
    void removesTheSpaceBeforeSentencePunctuation() {
        assertEquals("Hi, you! Ok? Yes.", clean("Hi , you ! Ok ? Yes ."));
        assertEquals(",", clean(" ,"));
    }

    @Test
    void joinsALoneApostropheAndSomeContractions() {
        assertEquals("a'b", clean("a ' b"));
        assertEquals("it's I'm we're you've", clean("it 's I 'm we 're you 've"));
        assertEquals("don 't I 'd we 'll", clean("don 't I 'd we 'll"), "'t, 'd and 'll keep their space");
    }

    @Test
    void aJoinedApostropheHidesTheSpaceAfterIt() {
        // pass 2 overwrites the space it removed with NUL, so the second " ' " is not seen
        assertEquals("x'' y", clean("x ' ' y"));
    }

    @Test
    void leavesMultiByteTextAlone() {
        assertEquals("héllo — 世界 🦙", clean("héllo — 世界 🦙"));
        assertEquals("", clean(""));
    }
}
