/**
 * The open_clip oracle written by tools/make_tokenizer_fixtures.py (see that file for each field).
 * Shared by the tokenizer tests; read once.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface TokenizerFixture {
  versions: Record<string, string>;
  context_length: number;
  vocab_size: number;
  cases: { text: string; clean: string; encode: number[]; ids: number[]; decode: string }[];
  contexts: { text: string; context_length: number; ids: number[] }[];
  decode_cases: { ids: number[]; text: string }[];
  ftfy_cases: { text: string; fixed: string }[];
  unescape_cases: { text: string; once: string }[];
  unicode: {
    /** [first code point, class] runs: L letters, N a number, O other, S matched by nothing */
    classes: [number, "L" | "N" | "O" | "S"][];
    lower: [number, string][];
    isspace: number[];
  };
}

export const FIXTURE_PATH = join(import.meta.dirname, "..", "fixtures", "tokenizer", "open_clip.json");

let cached: TokenizerFixture | undefined;

export function tokenizerFixture(): TokenizerFixture {
  cached ??= JSON.parse(readFileSync(FIXTURE_PATH, "utf8")) as TokenizerFixture;
  return cached;
}

/** A string for a failure message: JSON-escaped, so invisible characters show. */
export function shown(text: string, max = 80): string {
  const json = JSON.stringify(text);
  return json.length > max ? `${json.slice(0, max - 3)}...` : json;
}
