/**
 * tokenizer.json: a learned vocabulary as a checkpoint folder holds it (DESIGN.md §4: DIR/tokenizer.*
 * exists only when the model does not use CLIP's own BPE).
 *
 * Format, version 1 — one JSON object, every key required, no others:
 *
 *   {
 *     "format": "duet-clip-bpe",             identifies the file
 *     "version": 1,                          bumped on any incompatible change
 *     "special_tokens": ["<start_of_text>", "<end_of_text>"],
 *     "context_length": 77,                  default length of tokenize()
 *     "vocab_size": 2000,                    = 512 + merges + 2, a check on the merge list
 *     "merges": ["t h", "th e</w>", ...]     in rank order, the two symbols joined by one space
 *   }
 *
 * Cleaning and pre-tokenisation are CLIP's, so they are not stored. The vocabulary follows from
 * the merges (see ./bpe.ts): ids 0..511 the byte symbols with and without "</w>", then one per
 * merge, then the special tokens, so sot = vocab_size - 2 and eot = vocab_size - 1 (the largest
 * id, which argmax pooling needs).
 *
 * This file reads and writes the JSON, and runs anywhere (the browser's checkpoints use it);
 * tokenizer-file.ts puts it on disk, with node:fs.
 */

import { jsonDepthProblem } from "../data/json-depth.js";
import { BASE_VOCAB_SIZE, BpeTokenizer, SPECIAL_TOKENS, findMergeProblem, type Merge } from "./bpe.js";

export const TOKENIZER_FORMAT = "duet-clip-bpe";
export const TOKENIZER_FORMAT_VERSION = 1;
const KEYS = ["format", "version", "special_tokens", "context_length", "vocab_size", "merges"] as const;

/**
 * The longest context a tokenizer file, a model config or `duet tokenize --context` may ask
 * for. A row of ids is context × 4 bytes and the text tower's attention context² a head (64 MB
 * at 4096): a billion, a typo away, would allocate gigabytes before failing. CLIP's context is
 * 77; the longest of open_clip's text towers has 512.
 */
export const MAX_CONTEXT_LENGTH = 4096;

/** The JSON object of a tokenizer.json. */
export interface TokenizerJson {
  format: string;
  version: number;
  special_tokens: string[];
  context_length: number;
  vocab_size: number;
  merges: string[];
}

/** A tokenizer file that cannot be used; the message names the file and the problem. */
export class TokenizerFileError extends Error {
  constructor(source: string, problem: string) {
    super(`${source}: ${problem}`);
    this.name = "TokenizerFileError";
  }
}

export function tokenizerToJson(tokenizer: BpeTokenizer): TokenizerJson {
  return {
    format: TOKENIZER_FORMAT,
    version: TOKENIZER_FORMAT_VERSION,
    special_tokens: [...SPECIAL_TOKENS],
    context_length: tokenizer.contextLength,
    vocab_size: tokenizer.vocabSize,
    merges: tokenizer.merges.map(([a, b]) => `${a} ${b}`),
  };
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** Check a parsed tokenizer.json and build its tokenizer; `source` names the file in errors. */
export function tokenizerFromJson(json: unknown, source: string): BpeTokenizer {
  const fail = (problem: string): never => {
    throw new TokenizerFileError(source, problem);
  };
  const tooDeep = jsonDepthProblem(json);
  if (tooDeep !== null) fail(`the JSON is ${tooDeep}`);
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail(`expected a JSON object, got ${show(json)}`);
  const record = json as Record<string, unknown>;
  for (const key of KEYS) if (!Object.hasOwn(record, key)) fail(`missing key "${key}"`);
  for (const key of Object.keys(record)) if (!(KEYS as readonly string[]).includes(key)) fail(`unknown key ${show(key)}`);
  if (record.format !== TOKENIZER_FORMAT) fail(`"format" must be "${TOKENIZER_FORMAT}", got ${show(record.format)}`);
  if (record.version !== TOKENIZER_FORMAT_VERSION) fail(`unsupported "version" ${show(record.version)} (this Duet reads version ${TOKENIZER_FORMAT_VERSION})`);
  const specials = record.special_tokens;
  if (!Array.isArray(specials) || specials.length !== SPECIAL_TOKENS.length || specials.some((t, i) => t !== SPECIAL_TOKENS[i])) {
    fail(`"special_tokens" must be ${show(SPECIAL_TOKENS)}, got ${show(specials)}`);
  }
  const contextLength = record.context_length;
  if (typeof contextLength !== "number" || !Number.isInteger(contextLength) || contextLength < 1) {
    fail(`"context_length" must be a positive integer, got ${show(contextLength)}`);
  }
  if ((contextLength as number) > MAX_CONTEXT_LENGTH) fail(`"context_length" must be at most ${MAX_CONTEXT_LENGTH} (a text's attention is context² a head), got ${show(contextLength)}`);
  const lines = record.merges;
  if (!Array.isArray(lines)) fail(`"merges" must be an array of strings, got ${show(lines)}`);
  const merges: Merge[] = (lines as unknown[]).map((line, i) => {
    const parts = typeof line === "string" ? line.split(" ") : [];
    if (parts.length !== 2) fail(`merges[${i}] must be two symbols joined by one space, got ${show(line)}`);
    return [parts[0]!, parts[1]!];
  });
  const problem = findMergeProblem(merges);
  if (problem !== null) fail(`merges[${problem.index}]: ${problem.message}`);
  const expected = BASE_VOCAB_SIZE + merges.length + SPECIAL_TOKENS.length;
  if (record.vocab_size !== expected) fail(`"vocab_size" is ${show(record.vocab_size)} but ${merges.length} merges make ${expected} ids`);
  return new BpeTokenizer(merges, { contextLength: contextLength as number });
}

/** Parse tokenizer.json text; `source` names the file in errors. */
export function parseTokenizerJson(text: string, source: string): BpeTokenizer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TokenizerFileError(source, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return tokenizerFromJson(json, source);
}
