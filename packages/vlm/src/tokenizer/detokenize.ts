/**
 * Caption text from generated tokens. CLIP's BPE (and the BPE Duet learns from captions)
 * splits punctuation off the words around it and decodes every pre-token as a word of its
 * own, so "woman: medium-dark skin tone, facing right" comes back from `decode` as
 * "woman : medium - dark skin tone , facing right ". The tokenizer has forgotten where the
 * spaces were; this puts the usual ones back, as a detokenizer does after a word-level model:
 *
 *   - no space before , . : ; ! ? % ) ] and after ( [
 *   - a hyphen between two word characters joins them ("medium - dark" → "medium-dark")
 *   - a split clitic rejoins its word ("man 's" → "man's", "don 't" → "don't")
 *   - runs of spaces become one; the ends are trimmed
 *
 * It matters beyond looks: the captioning metrics tokenize as PTB does, which keeps
 * "medium-dark" one token and drops a lone "-", so the spaced form would never match a
 * reference's hyphenated words. A caption that really had " - " between two words is joined
 * too: emoji captions have none, and the rule is stated here for anyone else's.
 */

export function detokenize(decoded: string): string {
  return decoded
    .replace(/\s+/g, " ")
    .replace(/ ([,.:;!?%)\]])/g, "$1")
    .replace(/([([]) /g, "$1")
    .replace(/(?<=\w) - (?=\w)/g, "-")
    .replace(/(?<=\w) '(s|t|re|ve|ll|d|m)\b/g, "'$1")
    .trim();
}
