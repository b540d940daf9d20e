package io.strata.model.tokenizer;

/**
 * The special token ids of a vocabulary; {@link #NONE} where the model has no such token.
 *
 * @param bos    beginning of sequence (for BERT vocabularies: CLS)
 * @param eos    end of sequence
 * @param eot    end of turn
 * @param eom    end of message (tool call follows)
 * @param unk    unknown
 * @param sep    separator
 * @param pad    padding
 * @param mask   mask
 * @param fimPre fill-in-the-middle prefix
 * @param fimSuf fill-in-the-middle suffix
 * @param fimMid fill-in-the-middle middle
 * @param fimPad fill-in-the-middle padding
 * @param fimRep fill-in-the-middle repository name
 * @param fimSep fill-in-the-middle file separator
 */
public record SpecialTokenIds(int bos, int eos, int eot, int eom, int unk, int sep, int pad, int mask,
                              int fimPre, int fimSuf, int fimMid, int fimPad, int fimRep, int fimSep) {
    public static final int NONE = -1;
}
