/**
 * Caption filtering. Alt-text quality matters for contrastive training: an empty or two-letter
 * caption teaches nothing, a caption repeated across images ("image", "click here") makes those
 * images false negatives of each other in a batch, and captions in a language the text tower's
 * vocabulary was not built for are noise. Each caption is checked in this order and counted
 * under the first check it fails:
 *
 *   1. too short      fewer than `minLength` characters after trimming (default 3)
 *   2. not English    `looksEnglish` says no (the heuristic below)
 *   3. duplicate      the same caption (compared lowercased, whitespace collapsed) came earlier;
 *                     with dedupe: "pair" only the same image with the same caption is dropped
 *
 * The non-English heuristic, documented because it is deliberately simple:
 *   - accents are stripped first (NFKD, marks removed), so "café" counts as Latin letters;
 *   - a caption with no letters, or where fewer than 90% of the letters are a-z, is not English
 *     (this catches CJK, Cyrillic, Arabic, Greek, Devanagari ... scripts);
 *   - otherwise its words are looked up in two small lists of function words: English ones
 *     ("the", "of", "with" ...) and French, German, Spanish, Italian, Portuguese and Dutch ones
 *     that are not also English words ("le", "und", "los", "della", "het" ...); a caption with
 *     more foreign than English function words is not English.
 *   It lets through short noun phrases in other Latin-script languages ("manzana roja") and
 *   drops the odd English caption full of foreign names. It is a filter, not language
 *   identification.
 */

export interface CaptionFilterOptions {
  /** Minimum caption length in characters, after trimming (default 3). */
  minLength?: number;
  /** Drop repeated captions ("caption", the default), repeated image–caption pairs ("pair"), or none (false). */
  dedupe?: "caption" | "pair" | false;
  /** Drop captions that do not look English (default true). */
  englishOnly?: boolean;
}

export interface CaptionFilterCounts {
  input: number;
  tooShort: number;
  nonEnglish: number;
  duplicate: number;
  kept: number;
}

/** Filters caption records, keeping their order; returns what was kept and why the rest went. */
export function filterCaptions<T extends { readonly text: string; readonly image?: string }>(
  records: readonly T[],
  options: CaptionFilterOptions = {},
): { records: T[]; counts: CaptionFilterCounts } {
  const minLength = options.minLength ?? 3;
  const dedupe = options.dedupe ?? "caption";
  const englishOnly = options.englishOnly ?? true;
  const counts: CaptionFilterCounts = { input: records.length, tooShort: 0, nonEnglish: 0, duplicate: 0, kept: 0 };
  const seen = new Set<string>();
  const kept: T[] = [];
  for (const record of records) {
    const text = record.text.trim();
    if (text.length < minLength) {
      counts.tooShort++;
      continue;
    }
    if (englishOnly && !looksEnglish(text)) {
      counts.nonEnglish++;
      continue;
    }
    if (dedupe !== false) {
      const normal = text.toLowerCase().replace(/\s+/g, " ");
      const key = dedupe === "pair" ? `${record.image ?? ""}\u0000${normal}` : normal;
      if (seen.has(key)) {
        counts.duplicate++;
        continue;
      }
      seen.add(key);
    }
    kept.push(record);
  }
  counts.kept = kept.length;
  return { records: kept, counts };
}

/** One line for a log or report: "kept 950 of 1000 captions (20 too short, 10 not English, 20 duplicates)". */
export function describeFilterCounts(counts: CaptionFilterCounts): string {
  return `kept ${counts.kept} of ${counts.input} captions (${counts.tooShort} too short, ${counts.nonEnglish} not English, ${counts.duplicate} duplicates)`;
}

const ENGLISH_WORDS = new Set(
  "the a an of and in on with for to is at by from this that it its his her their are was as be has have or into over under near next".split(" "),
);

const FOREIGN_WORDS = new Set(
  [
    "le les des du et une est avec dans sur au aux ce cette qui pas sont la de", // French (la, de: also Spanish, Portuguese ...)
    "der das und ist ein eine einem einer nicht auf dem zu sich auch von", // German
    "el los las y para por una es del que como sus", // Spanish
    "il di della gli sono nel che un", // Italian
    "uma nao da", // Portuguese
    "het een niet zijn voor ook", // Dutch
  ]
    .join(" ")
    .split(" "),
);

/** The heuristic of the file comment: true if `text` plausibly is English. */
export function looksEnglish(text: string): boolean {
  const plain = text.normalize("NFKD").replace(/\p{M}/gu, "");
  const letters = plain.match(/\p{L}/gu) ?? [];
  if (letters.length === 0) return false;
  const latin = letters.filter((c) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")).length;
  if (latin < 0.9 * letters.length) return false;
  let english = 0;
  let foreign = 0;
  for (const word of plain.toLowerCase().split(/[^a-z]+/)) {
    if (ENGLISH_WORDS.has(word)) english++;
    else if (FOREIGN_WORDS.has(word)) foreign++;
  }
  return foreign <= english;
}
