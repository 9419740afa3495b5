/**
 * Learning a small CLIP-shaped BPE vocabulary from a caption corpus, for small models that
 * cannot afford CLIP's 49,408-row embedding table.
 *
 * The learned tokenizer is CLIP's machinery with fewer merges: the same cleaning and
 * pre-tokenisation, the same 512 byte symbols (so any text still encodes, unseen characters as
 * bytes), "</w>" at word ends, the special tokens last (so end-of-text is the largest id, which
 * argmax pooling relies on). vocabSize = 512 + merges + 2.
 *
 * Algorithm (Sennrich et al.'s BPE over distinct pre-tokens weighted by their counts):
 *   1. clean and pre-tokenise every caption; count each distinct piece (special tokens written
 *      in a caption are skipped); spell it as byte symbols with "</w>" on the last
 *   2. count every adjacent symbol pair, weighted by the piece's count
 *   3. merge the most frequent pair everywhere (left to right, not overlapping, as encode
 *      applies merges), update the counts of the pairs around it, record the merge; repeat
 *      until the vocabulary has `vocabSize` ids or no pair occurs `minPairFrequency` times
 *
 * Determinism: ties in frequency go to the pair that sorts first by its first symbol, then by
 * its second, comparing UTF-16 code units (JavaScript's `<` on strings). Nothing else depends on
 * corpus order or hash order, so the same corpus (as a multiset) always gives the same merges.
 * A pair whose joined token already exists (from a different split, "a"+"bc" vs "ab"+"c") is
 * never merged, so ids and tokens stay one-to-one.
 */

import { BASE_VOCAB_SIZE, BpeTokenizer, END_OF_WORD, baseSymbols, SPECIAL_TOKENS, type BpeOptions, type Merge, type Tokenizer } from "./bpe.js";
import { toByteSymbols } from "./byte-level.js";
import { cleanText } from "./clean.js";
import { preTokenize, preTokenizer } from "./pretokenize.js";

export interface TrainOptions extends BpeOptions {
  /** Ids in the learned vocabulary, at least 514 (the byte symbols and the special tokens). */
  vocabSize: number;
  /** Stop when the most frequent pair occurs fewer times than this (default 2). */
  minPairFrequency?: number;
}

interface Word {
  symbols: string[];
  readonly count: number;
}

/** Max-heap order: higher count first; on a tie, the smaller (first, second) first. */
interface Candidate {
  readonly count: number;
  readonly first: string;
  readonly second: string;
}

function before(a: Candidate, b: Candidate): boolean {
  if (a.count !== b.count) return a.count > b.count;
  if (a.first !== b.first) return a.first < b.first;
  return a.second < b.second;
}

/** A binary heap of candidates; stale entries are skipped when popped (lazy deletion). */
class CandidateHeap {
  private readonly items: Candidate[] = [];
  push(c: Candidate): void {
    const items = this.items;
    items.push(c);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): Candidate | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && before(items[l]!, items[best]!)) best = l;
        if (r < items.length && before(items[r]!, items[best]!)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}

const pairKey = (first: string, second: string): string => `${first} ${second}`;

/** Distinct pre-tokens of the corpus as byte-symbol words, with their counts. */
function countWords(corpus: Iterable<string>): Word[] {
  const pattern = preTokenizer(SPECIAL_TOKENS);
  const counts = new Map<string, number>();
  let index = 0;
  for (const text of corpus) {
    if (typeof text !== "string") throw new TypeError(`trainBpe: corpus item ${index} is ${typeof text}, not a string`);
    for (const piece of preTokenize(cleanText(text), pattern)) {
      if (SPECIAL_TOKENS.includes(piece)) continue;
      const symbols = toByteSymbols(piece);
      counts.set(symbols, (counts.get(symbols) ?? 0) + 1);
    }
    index++;
  }
  // Sorted, so word order (and with it everything below) is independent of corpus order.
  return [...counts.keys()].sort().map((symbols) => {
    const split = symbols.split("");
    split[split.length - 1] += END_OF_WORD;
    return { symbols: split, count: counts.get(symbols)! };
  });
}

/** Merge every (first, second) in a word, left to right, not overlapping. */
function mergeWord(symbols: readonly string[], first: string, second: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === first && i + 1 < symbols.length && symbols[i + 1] === second) {
      out.push(first + second);
      i++;
    } else {
      out.push(symbols[i]!);
    }
  }
  return out;
}

/** Learn the merge list of a CLIP-shaped BPE vocabulary (see the file comment). */
export function learnMerges(corpus: Iterable<string>, options: TrainOptions): Merge[] {
  const { vocabSize, minPairFrequency = 2 } = options;
  const minimum = BASE_VOCAB_SIZE + SPECIAL_TOKENS.length;
  if (!Number.isInteger(vocabSize) || vocabSize < minimum) {
    throw new RangeError(`trainBpe: vocabSize must be an integer >= ${minimum} (512 byte symbols + 2 special tokens), got ${vocabSize}`);
  }
  if (!Number.isInteger(minPairFrequency) || minPairFrequency < 1) {
    throw new RangeError(`trainBpe: minPairFrequency must be a positive integer, got ${minPairFrequency}`);
  }
  const words = countWords(corpus);
  const pairCounts = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>(); // which words hold the pair (maybe stale)
  const heap = new CandidateHeap();

  const addPairs = (wordIndex: number, sign: 1 | -1, touched: Set<string>): void => {
    const { symbols, count } = words[wordIndex]!;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i]!, symbols[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * count);
      if (sign > 0) {
        let holders = pairWords.get(key);
        if (holders === undefined) pairWords.set(key, (holders = new Set()));
        holders.add(wordIndex);
      }
      touched.add(key);
    }
  };
  const pushCurrent = (keys: Iterable<string>): void => {
    for (const key of keys) {
      const count = pairCounts.get(key) ?? 0;
      if (count <= 0) continue;
      const space = key.indexOf(" ");
      heap.push({ count, first: key.slice(0, space), second: key.slice(space + 1) });
    }
  };

  const initial = new Set<string>();
  words.forEach((_, i) => addPairs(i, 1, initial));
  pushCurrent(initial);

  const tokens = new Set<string>([...baseSymbols(), ...SPECIAL_TOKENS]);
  const excluded = new Set<string>();
  const merges: Merge[] = [];
  const mergeLimit = vocabSize - minimum;
  while (merges.length < mergeLimit) {
    const candidate = heap.pop();
    if (candidate === undefined || candidate.count < minPairFrequency) break;
    const key = pairKey(candidate.first, candidate.second);
    if (pairCounts.get(key) !== candidate.count || excluded.has(key)) continue; // stale entry
    const token = candidate.first + candidate.second;
    if (tokens.has(token)) {
      excluded.add(key); // never merge it: the token exists already
      continue;
    }
    merges.push([candidate.first, candidate.second]);
    tokens.add(token);
    const touched = new Set<string>();
    for (const wordIndex of pairWords.get(key) ?? []) {
      const word = words[wordIndex]!;
      const merged = mergeWord(word.symbols, candidate.first, candidate.second);
      if (merged.length === word.symbols.length) continue;
      addPairs(wordIndex, -1, touched);
      word.symbols = merged;
      addPairs(wordIndex, 1, touched);
    }
    pairWords.delete(key);
    pushCurrent(touched);
  }
  return merges;
}

/** Learn a tokenizer from a caption corpus; see `learnMerges`. */
export function trainBpe(corpus: Iterable<string>, options: TrainOptions): BpeTokenizer {
  return new BpeTokenizer(learnMerges(corpus, options), options);
}

/**
 * The text context that holds `quantile` of the captions whole (start and end tokens
 * included), within [minimum, 77]. Longer captions are cut, end-of-text kept last.
 */
export function fitContextLength(tokenizer: Pick<Tokenizer, "encode">, captions: readonly string[], quantile = 0.99, minimum = 8): number {
  if (captions.length === 0) return minimum;
  const lengths = captions.map((c) => tokenizer.encode(c).length + 2).sort((a, b) => a - b);
  const at = lengths[Math.min(lengths.length - 1, Math.ceil(quantile * lengths.length) - 1)]!;
  return Math.min(77, Math.max(minimum, at));
}
