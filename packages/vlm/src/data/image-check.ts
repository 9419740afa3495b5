/**
 * Checking a manifest's images before training on them: every image is read and decoded once,
 * so a broken file is found before the first step instead of partway through a long run (where
 * the batch that holds it fails, and a resumed run fails at the same step again).
 *
 *   const bad = await findBadImages(records, { onProgress })   // [] when every image decodes
 *
 * Each bad image is reported with the manifest line that names it. A file named on several
 * lines is decoded once; every one of its lines is reported.
 */

import { readFile } from "node:fs/promises";
import { decodeImage } from "../image/decode.js";
import { ImageError } from "../image/image.js";

/** A manifest row whose image cannot be used. */
export interface BadImage {
  /** The manifest line (1-based). */
  line: number;
  /** The image's path, as the record holds it. */
  image: string;
  /** Why: the reader's or decoder's message, without the path (the caller names the file). */
  problem: string;
}

export interface ImageCheckOptions {
  /** Called as images are checked (done of total distinct images). */
  onProgress?: (done: number, total: number) => void;
}

/** Why `path` cannot be decoded, or null when it can. */
async function problemOf(path: string): Promise<string | null> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  try {
    decodeImage(bytes, path);
    return null;
  } catch (error) {
    if (!(error instanceof ImageError)) throw error;
    // the message names the op and the path: keep what is left, the problem
    return error.message.replace(`${error.op}: `, "").replace(`${path}: `, "");
  }
}

/** Reads and decodes the image of every record; returns the records whose image fails, in manifest order. */
export async function findBadImages(records: readonly { image: string; line: number }[], options: ImageCheckOptions = {}): Promise<BadImage[]> {
  const paths = [...new Set(records.map((r) => r.image))];
  const problems = new Map<string, string>();
  for (let i = 0; i < paths.length; i++) {
    const problem = await problemOf(paths[i]!);
    if (problem !== null) problems.set(paths[i]!, problem);
    options.onProgress?.(i + 1, paths.length);
  }
  return records.flatMap((r) => {
    const problem = problems.get(r.image);
    return problem === undefined ? [] : [{ line: r.line, image: r.image, problem }];
  });
}
