/**
 * The caption tokenizer of the captioning metrics: what pycocoevalcap's PTBTokenizer does to
 * plain English captions, without Java.
 *
 * pycocoevalcap runs Stanford CoreNLP 3.4.1's PTBTokenizer (`-preserveLines -lowerCase`) on
 * every caption, then drops the tokens in its PUNCTUATIONS list
 * ('' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ;). The scores are computed on what is
 * left, joined by single spaces. This is the same pipeline as a small rule set:
 *
 *   1. lowercase; the curly quotes ‘ ’ become ' and “ ” become " (PTB reads them as quotes);
 *   2. split on whitespace;
 *   3. ? ! ; " ( ) [ ] { } ` and runs of two or more hyphens always stand alone; , and : stand
 *      alone unless a digit is on both sides (1,000 and 10:30 stay whole);
 *   4. in each piece: a leading run of ' splits off (unless the piece is a contraction such
 *      as 's); a trailing run of . and ' splits off, unless the piece is an abbreviation made
 *      of single letters and periods (u.s., e.g., a.m.); contractions split as PTB splits them:
 *      don't → do n't, dog's → dog 's ('s 're 've 'll 'd 'm), cannot → can not;
 *   5. tokens made only of punctuation (. , ; : ? ! ' " ` ( ) [ ] { } -) are dropped: that is
 *      pycocoevalcap's list, and the brackets PTB would have escaped to -LRB- and kin.
 *
 * Where it differs from the Java tokenizer (CoreNLP is not available to check against here):
 *   - PTB keeps the period of the abbreviations it knows (st., mr., inc.); here only
 *     single-letter abbreviations keep theirs ("st. kitts" gives st kitts, PTB st. kitts);
 *   - PTB splits off currency and percent signs ($5 → $ 5, 50% → 50 %) and escapes / and *
 *     as \/ and \*; here they stay inside their word;
 *   - PTB's other special cases (gonna → gon na, 'tis, d'ye, …) are not reproduced;
 *   - whether CoreNLP 3.4.1 with -lowerCase writes its bracket tokens in the list's upper
 *     case (so that they are dropped) could not be checked: brackets are dropped here, as the
 *     list intends.
 * tools/caption-metrics-fixture.py implements the same rules in Python; the fixture's
 * `tokenizer_cases` hold both the raw strings and the tokens, and the test checks this
 * function gives the same.
 */

/** Characters that always form a token of their own (step 3). */
const ALWAYS_ALONE = new Set(["?", "!", ";", '"', "(", ")", "[", "]", "{", "}", "`"]);
/** Characters that split a word unless digits are on both sides (step 3). */
const ALONE_UNLESS_NUMBER = new Set([",", ":"]);
/** PTB's clitics, split off the word they end (step 4). */
const CONTRACTIONS = ["n't", "'s", "'re", "'ve", "'ll", "'d", "'m"] as const;
/** A token made only of these is punctuation, dropped as pycocoevalcap drops it (step 5). */
const PUNCTUATION_ONLY = /^[.,;:?!'"`()[\]{}-]+$/u;
/** u.s., e.g., a.m.: single letters each followed by a period keep their last period. */
const LETTER_ABBREVIATION = /^(\p{L}\.){2,}$/u;
/** JavaScript's \s, written out so the Python twin can match it character for character. */
const WHITESPACE = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+/u;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** Step 3: cut a whitespace-free chunk at the characters that stand alone. */
function splitStandalone(chunk: string): string[] {
  const pieces: string[] = [];
  let current = "";
  const flush = (): void => {
    if (current !== "") pieces.push(current);
    current = "";
  };
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i]!;
    if (c === "-" && chunk[i + 1] === "-") {
      // a dash written as two or more hyphens separates words; a single hyphen joins them
      flush();
      let end = i;
      while (chunk[end] === "-") end++;
      pieces.push(chunk.slice(i, end));
      i = end - 1;
    } else if (ALWAYS_ALONE.has(c) || (ALONE_UNLESS_NUMBER.has(c) && !(isDigit(chunk[i - 1]) && isDigit(chunk[i + 1])))) {
      flush();
      pieces.push(c);
    } else {
      current += c;
    }
  }
  flush();
  return pieces;
}

/** Step 4: peel quotes and final periods off a piece, then split a contraction. */
function splitPiece(piece: string): string[] {
  const out: string[] = [];
  let word = piece;
  if (!(CONTRACTIONS as readonly string[]).includes(word)) {
    let start = 0;
    while (word[start] === "'") start++;
    if (start > 0 && start < word.length) {
      out.push(word.slice(0, start));
      word = word.slice(start);
    }
  }
  let trailing = "";
  if (!LETTER_ABBREVIATION.test(word)) {
    let end = word.length;
    while (end > 0 && (word[end - 1] === "." || word[end - 1] === "'")) end--;
    if (end > 0) {
      trailing = word.slice(end);
      word = word.slice(0, end);
    }
  }
  if (word === "cannot") out.push("can", "not");
  else {
    const clitic = CONTRACTIONS.find((c) => word.length > c.length && word.endsWith(c));
    if (clitic === undefined) out.push(word);
    else out.push(word.slice(0, word.length - clitic.length), clitic);
  }
  if (trailing !== "") out.push(trailing);
  return out;
}

/**
 * The tokens pycocoevalcap would score for one caption (see the rules above): lowercased,
 * split as PTB splits, punctuation dropped. An empty or all-punctuation caption gives [].
 */
export function tokenizeCaption(text: string): string[] {
  const tokens: string[] = [];
  const normalised = text.toLowerCase().replace(/[\u2018\u2019]/gu, "'").replace(/[\u201c\u201d]/gu, '"');
  for (const chunk of normalised.split(WHITESPACE)) {
    if (chunk === "") continue;
    for (const piece of splitStandalone(chunk)) {
      for (const token of splitPiece(piece)) if (!PUNCTUATION_ONLY.test(token)) tokens.push(token);
    }
  }
  return tokens;
}
