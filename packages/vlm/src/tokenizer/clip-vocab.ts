/**
 * CLIP's own vocabulary: the merge list bpe_simple_vocab_16e6.txt.gz (MIT, vendored in
 * packages/vlm/assets/ with its licence), read as open_clip reads it.
 *
 * The file is gzipped UTF-8 text: a header line, then one merge per line ("t h", "th e</w>").
 * open_clip keeps lines 2 .. 48,895 — 49,152 - 256 - 2 = 48,894 merges — so that with the 512 base
 * symbols and the two special tokens the vocabulary has 49,408 ids. Later lines are ignored.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { BpeTokenizer, findMergeProblem, type BpeOptions, type Merge } from "./bpe.js";
import { PY_SPACE_CLASS } from "./python-text.js";

const PY_WHITESPACE_RUN = new RegExp(`${PY_SPACE_CLASS}+`);

export const CLIP_MERGE_COUNT = 49152 - 256 - 2;
export const CLIP_VOCAB_SIZE = 49408;
export const CLIP_SOT_TOKEN_ID = 49406;
export const CLIP_EOT_TOKEN_ID = 49407;

/** The vendored merge file. Resolved beside this module's package, so it works from a checkout. */
export const CLIP_BPE_PATH = fileURLToPath(new URL("../../assets/bpe_simple_vocab_16e6.txt.gz", import.meta.url));

/** A vocabulary file that cannot be used; the message names the file and the problem. */
export class VocabFileError extends Error {
  constructor(source: string, problem: string) {
    super(`${source}: ${problem}`);
    this.name = "VocabFileError";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** CLIP's merges from the bytes of a bpe_simple_vocab .txt.gz; `source` names it in errors. */
export function parseClipMerges(gzipped: Uint8Array, source: string): Merge[] {
  let text: string;
  try {
    text = utf8.decode(gunzipSync(gzipped));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new VocabFileError(source, `not a gzipped UTF-8 text file (${reason})`);
  }
  const lines = text.split("\n");
  if (lines.length - 1 < CLIP_MERGE_COUNT) {
    throw new VocabFileError(source, `has ${Math.max(0, lines.length - 1)} merge lines after the header; CLIP's vocabulary needs ${CLIP_MERGE_COUNT}`);
  }
  const merges: Merge[] = [];
  for (let i = 1; i <= CLIP_MERGE_COUNT; i++) {
    // Python's merge.split(): any whitespace separates the two symbols.
    const parts = lines[i]!.split(PY_WHITESPACE_RUN).filter((p) => p.length > 0);
    if (parts.length !== 2) {
      throw new VocabFileError(source, `line ${i + 1}: expected two symbols separated by a space, got ${JSON.stringify(lines[i]!.slice(0, 80))}`);
    }
    merges.push([parts[0]!, parts[1]!]);
  }
  const problem = findMergeProblem(merges);
  if (problem !== null) throw new VocabFileError(source, `line ${problem.index + 2}: ${problem.message}`);
  return merges;
}

/** A tokenizer over a CLIP-format merge file (by default, CLIP's own). */
export function loadClipTokenizer(path: string = CLIP_BPE_PATH, options: BpeOptions = {}): BpeTokenizer {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new VocabFileError(path, `cannot read the vocabulary file (${reason})`);
  }
  return new BpeTokenizer(parseClipMerges(bytes, path), options);
}

let defaultTokenizer: BpeTokenizer | undefined;

/** CLIP's tokenizer, loaded once (about 0.3 s) and shared. */
export function clipTokenizer(): BpeTokenizer {
  defaultTokenizer ??= loadClipTokenizer();
  return defaultTokenizer;
}
