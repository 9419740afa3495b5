/**
 * A CLIP-shaped byte-level BPE tokenizer: open_clip's SimpleTokenizer, for CLIP's own merges or
 * for merges learned by ./trainer.ts.
 *
 * The vocabulary follows from the merge list alone, in this order of ids:
 *
 *   0 .. 255      the 256 byte symbols (./byte-level.ts)
 *   256 .. 511    the same symbols with the end-of-word marker "</w>"
 *   512 ..        one token per merge, the two parts joined, in merge order
 *   last two      <start_of_text>, <end_of_text>
 *
 * so <end_of_text> has the largest id. Text towers pool at the argmax of the ids (CLIP's rule),
 * which finds the end-of-text token only because of this: keep special tokens last.
 * For CLIP's 48,894 merges that gives 49,408 ids, sot = 49406, eot = 49407.
 *
 * encode:  clean (./clean.ts) -> pre-tokenise (./pretokenize.ts) -> UTF-8 bytes as symbols ->
 *          merge pairs, lowest merge rank first, until none applies -> ids
 * decode:  ids -> token strings -> bytes -> UTF-8 (invalid bytes become U+FFFD), "</w>" -> " "
 */

import { Tensor, allocate } from "@duet/tensor";
import { BYTE_ALPHABET, fromByteSymbols, toByteSymbols } from "./byte-level.js";
import { cleanText } from "./clean.js";
import { preTokenize, preTokenizer } from "./pretokenize.js";

export const END_OF_WORD = "</w>";
export const START_OF_TEXT = "<start_of_text>";
export const END_OF_TEXT = "<end_of_text>";
export const SPECIAL_TOKENS: readonly string[] = [START_OF_TEXT, END_OF_TEXT];
export const DEFAULT_CONTEXT_LENGTH = 77;
/** ids of the byte symbols and the byte symbols with "</w>": every vocabulary starts with them. */
export const BASE_VOCAB_SIZE = 512;

/** One merge: the two symbols that become one token. */
export type Merge = readonly [string, string];

/** What every Duet tokenizer offers (CLIP's, or one learned for a small model). */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly sotTokenId: number;
  readonly eotTokenId: number;
  readonly contextLength: number;
  /** Token ids of one text, without start/end tokens and without truncation. */
  encode(text: string): number[];
  /** Text of token ids; "</w>" becomes a space, so words come back space-separated. */
  decode(ids: ArrayLike<number>): string;
  /** int32 [texts, contextLength]: sot, tokens, eot, zero padding; eot stays last when truncated. */
  tokenize(texts: string | readonly string[], contextLength?: number): Tensor;
}

export interface BpeOptions {
  /** Default context length of `tokenize` (77, as CLIP). */
  contextLength?: number;
}

/** The 512 base symbols, in id order. */
export function baseSymbols(): string[] {
  const bytes = BYTE_ALPHABET.map(({ char }) => char);
  return [...bytes, ...bytes.map((b) => b + END_OF_WORD)];
}

/** Merged pieces of pre-tokens are remembered, as open_clip's `cache`; cleared when this full. */
const CACHE_LIMIT = 100_000;

export class BpeTokenizer implements Tokenizer {
  readonly merges: readonly Merge[];
  /** id -> token string. */
  readonly vocab: readonly string[];
  readonly vocabSize: number;
  readonly sotTokenId: number;
  readonly eotTokenId: number;
  readonly contextLength: number;
  private readonly ids: ReadonlyMap<string, number>;
  /** "first second" -> merge rank (tokens never hold a space, so the key is unambiguous). */
  private readonly ranks: ReadonlyMap<string, number>;
  private readonly pattern: RegExp;
  private readonly cache = new Map<string, readonly number[]>();

  /** Merges must be valid (see validateMerges); the loaders check them and name the file. */
  constructor(merges: readonly Merge[], options: BpeOptions = {}) {
    this.merges = merges;
    this.vocab = [...baseSymbols(), ...merges.map(([a, b]) => a + b), ...SPECIAL_TOKENS];
    this.vocabSize = this.vocab.length;
    this.ids = new Map(this.vocab.map((token, id) => [token, id]));
    if (this.ids.size !== this.vocabSize) throw new Error("BpeTokenizer: two merges make the same token; use validateMerges first");
    this.ranks = new Map(merges.map(([a, b], rank) => [`${a} ${b}`, rank]));
    this.sotTokenId = this.vocabSize - 2;
    this.eotTokenId = this.vocabSize - 1;
    this.contextLength = checkContextLength("BpeTokenizer", options.contextLength ?? DEFAULT_CONTEXT_LENGTH);
    this.pattern = preTokenizer(SPECIAL_TOKENS);
    this.seedCache();
  }

  encode(text: string): number[] {
    if (typeof text !== "string") throw new TypeError(`encode: expected a string, got ${describe(text)}`);
    const ids: number[] = [];
    for (const piece of preTokenize(cleanText(text), this.pattern)) {
      for (const id of this.encodePiece(toByteSymbols(piece))) ids.push(id);
    }
    return ids;
  }

  decode(ids: ArrayLike<number>): string {
    let symbols = "";
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const token = Number.isInteger(id) ? this.vocab[id] : undefined;
      if (token === undefined) throw new RangeError(`decode: id ${id} at position ${i} is not in the vocabulary (0..${this.vocabSize - 1})`);
      symbols += token;
    }
    return fromByteSymbols(symbols, "decode").replaceAll(END_OF_WORD, " ");
  }

  tokenize(texts: string | readonly string[], contextLength: number = this.contextLength): Tensor {
    const list = typeof texts === "string" ? [texts] : texts;
    if (!Array.isArray(list)) throw new TypeError(`tokenize: expected a string or an array of strings, got ${describe(texts)}`);
    const length = checkContextLength("tokenize", contextLength);
    const out = allocate("int32", list.length * length);
    list.forEach((text, row) => {
      if (typeof text !== "string") throw new TypeError(`tokenize: text ${row} is ${describe(text)}, not a string`);
      const tokens = [this.sotTokenId, ...this.encode(text), this.eotTokenId];
      if (tokens.length > length) {
        tokens.length = length;
        tokens[length - 1] = this.eotTokenId; // truncate, but end-of-text stays last
      }
      out.set(tokens, row * length);
    });
    return new Tensor(out, [list.length, length]);
  }

  /** The token strings a byte-symbol piece merges into (open_clip's `bpe`). */
  bpe(symbols: string): string[] {
    return this.encodePiece(symbols).map((id) => this.vocab[id]!);
  }

  private seedCache(): void {
    this.cache.clear();
    for (const token of SPECIAL_TOKENS) this.cache.set(token, [this.ids.get(token)!]);
  }

  private encodePiece(symbols: string): readonly number[] {
    const cached = this.cache.get(symbols);
    if (cached !== undefined) return cached;
    const ids = this.mergePiece(symbols).map((token) => this.ids.get(token)!);
    if (this.cache.size >= CACHE_LIMIT) this.seedCache();
    this.cache.set(symbols, ids);
    return ids;
  }

  /**
   * Start from single symbols, the last carrying "</w>"; repeatedly merge every occurrence
   * (left to right, not overlapping) of the adjacent pair with the lowest rank.
   */
  private mergePiece(symbols: string): string[] {
    // Byte symbols are all in the BMP, so code units are symbols.
    let word = symbols.split("");
    word[word.length - 1] += END_OF_WORD;
    while (word.length > 1) {
      let best = Infinity;
      let first = "";
      let second = "";
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < best) [best, first, second] = [rank, word[i]!, word[i + 1]!];
      }
      if (best === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (word[i] === first && i + 1 < word.length && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else {
          merged.push(word[i]!);
        }
      }
      word = merged;
    }
    return word;
  }
}

function checkContextLength(op: string, contextLength: number): number {
  if (!Number.isInteger(contextLength) || contextLength < 1) {
    throw new RangeError(`${op}: context length must be a positive integer, got ${String(contextLength)}`);
  }
  return contextLength;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? JSON.stringify(value) : typeof value;
}

/** A problem in a vocabulary: where it is, and what is wrong. */
export interface MergeProblem {
  readonly index: number;
  readonly message: string;
}

/**
 * The first problem in a merge list, or null. Each part must be a base symbol or the token of an
 * earlier merge (so every merge can fire), hold no whitespace, and no two merges may make the same
 * token (ids must map one-to-one onto tokens).
 */
export function findMergeProblem(merges: readonly Merge[]): MergeProblem | null {
  const symbols = new Set<string>(baseSymbols());
  for (let index = 0; index < merges.length; index++) {
    const [a, b] = merges[index]!;
    for (const part of [a, b]) {
      if (part.length === 0 || /\s/u.test(part)) return { index, message: `symbol ${JSON.stringify(part)} is empty or holds whitespace` };
      if (!symbols.has(part)) return { index, message: `symbol ${JSON.stringify(part)} is neither a byte symbol nor made by an earlier merge` };
    }
    const token = a + b;
    if (symbols.has(token) || SPECIAL_TOKENS.includes(token)) return { index, message: `token ${JSON.stringify(token)} is already in the vocabulary` };
    symbols.add(token);
  }
  return null;
}
