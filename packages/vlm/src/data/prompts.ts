/**
 * Class-name lists and prompt templates for zero-shot classification. A template holds `{}`
 * where the class name goes, as open_clip's templates do: "a photo of a {}." Both files are
 * either a JSON array of strings or plain text with one entry a line (blank lines skipped).
 */

import { extname } from "node:path";
import { DataError, type DataLocation } from "./errors.js";
import { parseJsonLine, readTextFile } from "./manifest-common.js";

// the templates themselves, which the browser shares without this file's readers
export { DEFAULT_TEMPLATES, EMOJI_TEMPLATES, fillTemplate, isTemplateSetName, PHOTO_TEMPLATES, TEMPLATE_SETS, type TemplateSetName } from "./prompt-template.js";

/** Reads a list of class names. */
export function readClassnames(path: string): string[] {
  const names = readList(path, "readClassnames");
  const seen = new Set<string>();
  for (const { value, where } of names) {
    if (seen.has(value)) throw new DataError("readClassnames", `class name ${JSON.stringify(value)} appears twice`, where);
    seen.add(value);
  }
  return names.map(({ value }) => value);
}

/** Reads prompt templates; each must hold `{}`. */
export function readTemplates(path: string): string[] {
  const templates = readList(path, "readTemplates");
  for (const { value, where } of templates) {
    if (!value.includes("{}")) throw new DataError("readTemplates", `template ${JSON.stringify(value)} has no {} for the class name`, where);
  }
  return templates.map(({ value }) => value);
}

/** The non-blank entries, each with where it came from (a JSON entry has no line of its own). */
function readList(path: string, op: string): { value: string; where: DataLocation }[] {
  const text = readTextFile(path, op);
  let entries: { value: string; where: DataLocation }[];
  if (extname(path).toLowerCase() === ".json") {
    const value = parseJsonLine(text, op, path, 1);
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string")) {
      throw new DataError(op, "expected a JSON array of strings", { file: path });
    }
    entries = value.map((v) => ({ value: v.trim(), where: { file: path } })).filter(({ value: v }) => v.length > 0);
  } else {
    entries = text
      .replace(/^\uFEFF/, "")
      .split(/\r?\n/)
      .map((v, i) => ({ value: v.trim(), where: { file: path, line: i + 1 } }))
      .filter(({ value: v }) => v.length > 0);
  }
  if (entries.length === 0) throw new DataError(op, "the list is empty", { file: path });
  return entries;
}
