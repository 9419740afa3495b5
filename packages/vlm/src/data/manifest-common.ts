/**
 * What the caption and classification manifests share: reading the file, choosing CSV, TSV or
 * JSONL from its extension, and resolving an image path against the manifest's folder
 * (open_clip's convention) with a check that the file is there.
 */

import { readFileSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { DataError, type DataLocation } from "./errors.js";
import { decodeUtf8 } from "./table.js";

export type ManifestFormat = "csv" | "tsv" | "jsonl";

/** `.jsonl`/`.ndjson` are JSON lines, `.tsv`/`.tab` tab-separated, anything else CSV. */
export function formatFromPath(path: string): ManifestFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".tsv" || ext === ".tab") return "tsv";
  return "csv";
}

/** The separator a format implies, unless the user chose one. */
export function separatorFor(format: ManifestFormat, separator: string | undefined): string {
  return separator ?? (format === "tsv" ? "\t" : ",");
}

/** Reads a text file as UTF-8, or fails naming it. */
export function readTextFile(path: string, op: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder, not a file" : (e as Error).message;
    throw new DataError(op, `cannot read the manifest: ${why}`, { file: path });
  }
  return decodeUtf8(bytes, op, path);
}

/** The folder image paths in `manifestPath` are relative to. */
export function manifestFolder(manifestPath: string): string {
  return dirname(resolve(manifestPath));
}

/**
 * The absolute path of an image named in a manifest. An empty path is an error; with
 * `checkFiles`, so is a path that is not an existing file.
 */
export function resolveImagePath(raw: string, baseDir: string, checkFiles: boolean, op: string, where: DataLocation): string {
  if (raw.length === 0) throw new DataError(op, "empty image path", where);
  const path = isAbsolute(raw) ? raw : resolve(baseDir, raw);
  if (checkFiles) {
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      throw new DataError(op, `image not found: ${JSON.stringify(raw)} (looked for ${path}; paths are relative to the manifest's folder)`, where);
    }
    if (!isFile) throw new DataError(op, `image path is not a file: ${JSON.stringify(raw)} (${path})`, where);
  }
  return path;
}

/**
 * JSON.parse, with the error turned into a line and column. V8 says "... at position N" for
 * most problems (the column is then N + 1) but not for an unexpected token, whose message
 * gives no position: there the error names the line only.
 */
export function parseJsonLine(text: string, op: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const position = /at position (\d+)/.exec(message);
    const lineColumn = /\(line \d+ column (\d+)\)$/.exec(message);
    const column = position !== null ? Number(position[1]) + 1 : lineColumn !== null ? Number(lineColumn[1]) : undefined;
    // Drop the position (it becomes the column) and V8's echo of the whole line.
    const reason = message
      .replace(/ (in JSON )?at position \d+.*$/s, "")
      .replace(/, ".*" is not valid JSON$/s, "")
      .replace(/ \(line \d+ column \d+\)$/, "");
    throw new DataError(op, `malformed JSON: ${reason}`, { file, line, column });
  }
}
