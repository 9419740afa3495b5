/**
 * CLIP's vocabulary in a browser: the gzipped merge list fetched and inflated with the
 * platform's DecompressionStream, then read as open_clip reads it.
 *
 * tokenizer/clip-vocab.ts does the same from disk, but inflates with node:zlib (synchronously)
 * and sits beside a module-level path to the vendored file, so the browser build cannot import
 * it. The reading rules here are that file's (header line, then lines 2 .. 48,895, two symbols
 * split on Python's whitespace); tests/vlm/browser-modules.test.ts checks both give the very
 * same merges.
 */

import { BpeTokenizer, findMergeProblem, type Merge } from "../tokenizer/bpe.js";
import { PY_SPACE_CLASS } from "../tokenizer/python-text.js";

/** 49,152 - 256 - 2: with 512 base symbols and 2 special tokens, 49,408 ids (clip-vocab.ts). */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;

const PY_WHITESPACE_RUN = new RegExp(`${PY_SPACE_CLASS}+`);

/** Inflates gzip bytes with DecompressionStream (browsers, and Node 18+). */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** CLIP's merges from the text of a bpe_simple_vocab file; `source` names it in errors. */
export function parseClipMergeText(text: string, source: string): Merge[] {
  const lines = text.split("\n");
  if (lines.length - 1 < CLIP_MERGE_COUNT) {
    throw new Error(`${source}: has ${Math.max(0, lines.length - 1)} merge lines after the header; CLIP's vocabulary needs ${CLIP_MERGE_COUNT}`);
  }
  const merges: Merge[] = [];
  for (let i = 1; i <= CLIP_MERGE_COUNT; i++) {
    const parts = lines[i]!.split(PY_WHITESPACE_RUN).filter((p) => p.length > 0);
    if (parts.length !== 2) throw new Error(`${source}: line ${i + 1}: expected two symbols separated by a space, got ${JSON.stringify(lines[i]!.slice(0, 80))}`);
    merges.push([parts[0]!, parts[1]!]);
  }
  const problem = findMergeProblem(merges);
  if (problem !== null) throw new Error(`${source}: line ${problem.index + 2}: ${problem.message}`);
  return merges;
}

/** CLIP's tokenizer from the gzipped merge file's bytes. */
export async function clipTokenizerFromGzip(gzipped: Uint8Array, source: string): Promise<BpeTokenizer> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await gunzip(gzipped));
  } catch (error) {
    throw new Error(`${source}: not a gzipped UTF-8 text file (${(error as Error).message})`);
  }
  return new BpeTokenizer(parseClipMergeText(text, source));
}
