/**
 * Caption manifests: image–text pairs for contrastive training (../shared/DESIGN.md §5).
 *
 *   CSV / TSV   a header row; the image path in column `filepath` and the caption in `title`
 *               (open_clip's --csv-img-key / --csv-caption-key defaults), quoted as CSV quotes
 *   JSONL       one object a line: {"image": "cats/1.png", "text": "a cat on a mat"}
 *
 * Image paths are relative to the manifest's folder. A missing column, a missing image, a
 * malformed row or line is a DataError naming the file, the line and the column.
 */

import { DataError } from "./errors.js";
import {
  formatFromPath,
  manifestFolder,
  parseJsonLine,
  readTextFile,
  resolveImagePath,
  separatorFor,
  type ManifestFormat,
} from "./manifest-common.js";
import { columnIndex, parseTable } from "./table.js";

export interface CaptionRecord {
  /** Absolute path of the image. */
  readonly image: string;
  readonly text: string;
  /** The line of the manifest the pair came from, for messages. */
  readonly line: number;
}

export interface CaptionManifestOptions {
  /** Column (or JSONL key) of the image path: default `filepath` for CSV/TSV, `image` for JSONL. */
  imgKey?: string;
  /** Column (or JSONL key) of the caption: default `title` for CSV/TSV, `text` for JSONL. */
  captionKey?: string;
  /** Field separator of CSV/TSV: default "," (or a tab for .tsv). */
  separator?: string;
  /** Overrides the format chosen from the extension (.jsonl/.ndjson, .tsv/.tab, else CSV). */
  format?: ManifestFormat;
  /** Check that every image file exists (default true). */
  checkFiles?: boolean;
}

export interface CaptionManifest {
  readonly file: string;
  readonly records: readonly CaptionRecord[];
}

const OP = "readCaptions";

/** Reads a caption manifest from disk. */
export function readCaptions(path: string, options: CaptionManifestOptions = {}): CaptionManifest {
  const text = readTextFile(path, OP);
  const format = options.format ?? formatFromPath(path);
  const records = parseCaptions(text, { ...options, format, file: path, baseDir: manifestFolder(path) });
  return { file: path, records };
}

export interface ParseCaptionsOptions extends CaptionManifestOptions {
  /** Names the source in messages. */
  file: string;
  /** The folder relative paths resolve against. */
  baseDir: string;
}

/** Parses the text of a caption manifest (the pure part of readCaptions). */
export function parseCaptions(text: string, options: ParseCaptionsOptions): CaptionRecord[] {
  const format = options.format ?? formatFromPath(options.file);
  return format === "jsonl" ? parseCaptionLines(text, options) : parseCaptionTable(text, format, options);
}

function parseCaptionTable(text: string, format: ManifestFormat, options: ParseCaptionsOptions): CaptionRecord[] {
  const { file, baseDir } = options;
  const imgKey = options.imgKey ?? "filepath";
  const captionKey = options.captionKey ?? "title";
  const table = parseTable(text, separatorFor(format, options.separator), OP, file);
  const imageColumn = columnIndex(table, imgKey, OP, file, "imgKey (--csv-img-key)");
  const captionColumn = columnIndex(table, captionKey, OP, file, "captionKey (--csv-caption-key)");
  const checkFiles = options.checkFiles ?? true;
  return table.rows.map(({ fields, line }) => ({
    image: resolveImagePath(fields[imageColumn]!, baseDir, checkFiles, OP, { file, line, column: imgKey }),
    text: fields[captionColumn]!,
    line,
  }));
}

function parseCaptionLines(text: string, options: ParseCaptionsOptions): CaptionRecord[] {
  const { file, baseDir } = options;
  const imgKey = options.imgKey ?? "image";
  const captionKey = options.captionKey ?? "text";
  const checkFiles = options.checkFiles ?? true;
  const records: CaptionRecord[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((source, i) => {
    const line = i + 1;
    if (source.trim().length === 0) return;
    const value = parseJsonLine(source, OP, file, line);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new DataError(OP, `expected a JSON object like {"${imgKey}": ..., "${captionKey}": ...}, got ${describe(value)}`, { file, line });
    }
    const object = value as Record<string, unknown>;
    const image = stringField(object, imgKey, file, line);
    records.push({
      image: resolveImagePath(image, baseDir, checkFiles, OP, { file, line, column: imgKey }),
      text: stringField(object, captionKey, file, line),
      line,
    });
  });
  return records;
}

function stringField(object: Record<string, unknown>, key: string, file: string, line: number): string {
  if (!Object.hasOwn(object, key)) {
    const keys = Object.keys(object).map((k) => JSON.stringify(k)).join(", ");
    throw new DataError(OP, `missing key ${JSON.stringify(key)} (keys: ${keys || "none"})`, { file, line, column: key });
  }
  const value = object[key];
  if (typeof value !== "string") throw new DataError(OP, `expected a string, got ${describe(value)}`, { file, line, column: key });
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
