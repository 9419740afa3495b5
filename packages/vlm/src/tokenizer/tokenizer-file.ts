/**
 * tokenizer.json on disk (node:fs): read and check one, or write one atomically. The format
 * and its checks are tokenizer-json.ts, which the browser shares.
 */

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { readRegularFile } from "@duet/nn/node";
import type { BpeTokenizer } from "./bpe.js";
import { parseTokenizerJson, tokenizerToJson, TokenizerFileError } from "./tokenizer-json.js";

export function loadTokenizerFile(path: string): BpeTokenizer {
  let text: string;
  try {
    text = readRegularFile(path).toString("utf8");
  } catch (error) {
    throw new TokenizerFileError(path, `cannot read the tokenizer file (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseTokenizerJson(text, path);
}

/** Write tokenizer.json atomically: a temporary file beside it, then a rename. */
export function saveTokenizerFile(tokenizer: BpeTokenizer, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(temporary, `${JSON.stringify(tokenizerToJson(tokenizer), null, 1)}\n`);
  renameSync(temporary, path);
}
