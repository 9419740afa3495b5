/**
 * Classification datasets, for zero-shot evaluation (../shared/DESIGN.md §5):
 *
 *   a CSV/TSV with columns `filepath` and `label`, paths relative to the CSV's folder, or
 *   a folder of class sub-folders (torchvision's ImageFolder): root/cat/1.png, root/dog/2.jpg
 *
 * Class names are the labels, sorted (numerically when every label is an integer; folder names
 * in code-point order, as Python's sorted() orders them), unless a classnames list is given:
 *   - CSV, integer labels: label k is classnames[k];
 *   - CSV, text labels: each label must be one of the classnames, which fix the order;
 *   - folders: one name per sub-folder, in the sorted order of the sub-folders.
 */

import { readdirSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { DataError } from "./errors.js";
import {
  formatFromPath,
  manifestFolder,
  readTextFile,
  resolveImagePath,
  separatorFor,
  type ManifestFormat,
} from "./manifest-common.js";
import { columnIndex, parseTable } from "./table.js";

export interface ClassificationRecord {
  /** Absolute path of the image. */
  readonly image: string;
  /** Index into `classes`. */
  readonly label: number;
}

export interface ClassificationManifest {
  readonly source: string;
  readonly classes: readonly string[];
  readonly records: readonly ClassificationRecord[];
}

export interface ClassificationOptions {
  /** Image path column (default `filepath`). */
  imgKey?: string;
  /** Label column (default `label`). */
  labelKey?: string;
  separator?: string;
  format?: Exclude<ManifestFormat, "jsonl">;
  /** Human-readable class names (see the file comment for how they map to labels). */
  classnames?: readonly string[];
  /** Check that every image file exists (default true). */
  checkFiles?: boolean;
  /** Image file extensions a class folder may hold (default .png, .jpg, .jpeg). */
  extensions?: readonly string[];
}

const OP = "readClassification";
const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"];

/** A folder of class sub-folders, or a CSV/TSV manifest. */
export function readClassification(path: string, options: ClassificationOptions = {}): ClassificationManifest {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    throw new DataError(OP, "no such file or folder", { file: path });
  }
  if (isFolder) return readClassFolders(path, options);
  const format = options.format ?? formatFromPath(path);
  if (format === "jsonl") throw new DataError(OP, "a classification manifest is a CSV/TSV with filepath and label columns, or a folder of class folders", { file: path });
  const text = readTextFile(path, OP);
  return parseClassificationCsv(text, { ...options, format, file: path, baseDir: manifestFolder(path) });
}

/** Parses the text of a classification CSV/TSV. */
export function parseClassificationCsv(text: string, options: ClassificationOptions & { file: string; baseDir: string }): ClassificationManifest {
  const { file, baseDir } = options;
  const imgKey = options.imgKey ?? "filepath";
  const labelKey = options.labelKey ?? "label";
  const table = parseTable(text, separatorFor(options.format ?? "csv", options.separator), OP, file);
  const imageColumn = columnIndex(table, imgKey, OP, file, "imgKey");
  const labelColumn = columnIndex(table, labelKey, OP, file, "labelKey");
  const checkFiles = options.checkFiles ?? true;
  const rows = table.rows.map(({ fields, line }) => {
    const label = fields[labelColumn]!.trim();
    if (label.length === 0) throw new DataError(OP, "empty label", { file, line, column: labelKey });
    return { image: resolveImagePath(fields[imageColumn]!, baseDir, checkFiles, OP, { file, line, column: imgKey }), label, line };
  });
  const allIntegers = rows.length > 0 && rows.every(({ label }) => /^\d+$/.test(label));
  const { classnames } = options;
  let classes: readonly string[];
  let indexOf: (label: string, line: number) => number;
  if (classnames === undefined) {
    const unique = [...new Set(rows.map(({ label }) => label))];
    classes = allIntegers ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort(codePointOrder);
    const index = new Map(classes.map((name, i) => [name, i]));
    indexOf = (label) => index.get(label)!;
  } else if (allIntegers) {
    classes = classnames;
    indexOf = (label, line) => {
      const k = Number(label);
      if (k >= classnames.length) throw new DataError(OP, `label ${k} is out of range: there are ${classnames.length} class names`, { file, line, column: labelKey });
      return k;
    };
  } else {
    classes = classnames;
    const index = new Map(classnames.map((name, i) => [name, i]));
    indexOf = (label, line) => {
      const k = index.get(label);
      if (k === undefined) throw new DataError(OP, `label ${JSON.stringify(label)} is not one of the ${classnames.length} class names`, { file, line, column: labelKey });
      return k;
    };
  }
  return { source: file, classes, records: rows.map(({ image, label, line }) => ({ image, label: indexOf(label, line) })) };
}

/** torchvision's ImageFolder: each sub-folder of `root` is a class; its images (at any depth) are the examples. */
export function readClassFolders(root: string, options: ClassificationOptions = {}): ClassificationManifest {
  const extensions = (options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
  const folders = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort(codePointOrder);
  if (folders.length === 0) throw new DataError(OP, "the folder has no class sub-folders (expected root/<class>/<image>)", { file: root });
  const { classnames } = options;
  if (classnames !== undefined && classnames.length !== folders.length) {
    throw new DataError(OP, `${classnames.length} class names given for ${folders.length} class folders (${folders.join(", ")})`, { file: root });
  }
  const records: ClassificationRecord[] = [];
  folders.forEach((folder, label) => {
    const images = listImages(resolve(root, folder), extensions);
    if (images.length === 0) throw new DataError(OP, `class folder ${JSON.stringify(folder)} holds no images (${extensions.join(", ")})`, { file: root });
    for (const image of images) records.push({ image, label });
  });
  return { source: root, classes: classnames ?? folders, records };
}

function listImages(folder: string, extensions: readonly string[]): string[] {
  const out: string[] = [];
  const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => codePointOrder(a.name, b.name));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...listImages(path, extensions));
    else if (extensions.includes(extname(entry.name).toLowerCase())) out.push(path);
  }
  return out;
}

function codePointOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
