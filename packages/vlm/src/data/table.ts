/**
 * Delimited text with a header row (CSV, TSV), parsed by csv-parse with the quoting rules of
 * RFC 4180 plus what pandas (open_clip's reader) also accepts: a quote in the middle of an
 * unquoted field is a literal character, a UTF-8 byte-order mark is skipped, CRLF and LF both
 * end a row, and blank lines are skipped. Each row keeps the line it starts on, so later
 * checks (a missing file, an empty path) can point at it.
 */

import { CsvError, parse } from "csv-parse/sync";
import { DataError } from "./errors.js";

export interface TableRow {
  /** The fields, one per header column. */
  readonly fields: readonly string[];
  /** 1-based line the row starts on (a quoted field may span several lines). */
  readonly line: number;
}

export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly TableRow[];
}

/** Decodes UTF-8, naming the line of the first invalid byte sequence instead of guessing. */
export function decodeUtf8(bytes: Uint8Array, op: string, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        break;
      }
      line++;
      start = i + 1;
    }
    throw new DataError(op, "the file is not valid UTF-8 (save it as UTF-8)", { file, line });
  }
}

/** Parses `text` into a header and rows; every row must have as many fields as the header. */
export function parseTable(text: string, separator: string, op: string, file: string): Table {
  if (separator.length !== 1 || separator === '"' || separator === "\n" || separator === "\r") {
    throw new DataError(op, `the separator must be one character other than a quote or a line break, got ${JSON.stringify(separator)}`, { file });
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With `info`, each record comes as { record, info } (the typings do not model this option).
    records = parse(text, { delimiter: separator, bom: true, info: true, relax_quotes: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (e) {
    if (e instanceof CsvError) throw csvProblem(e, op, file);
    throw e;
  }
  const first = records[0];
  if (first === undefined) throw new DataError(op, "the file is empty: expected a header line naming the columns", { file });
  const header = first.record;
  const rows = records.slice(1).map(({ record, info }) => ({ fields: record, line: startLine(record, info.lines) }));
  return { header, rows };
}

/** The index of column `key` in the header, or an error that lists the columns there are. */
export function columnIndex(table: Table, key: string, op: string, file: string, option: string): number {
  const index = table.header.indexOf(key);
  if (index >= 0) return index;
  const columns = table.header.map((name) => JSON.stringify(name)).join(", ");
  const hint =
    table.header.length === 1 && /[\t;|,]/.test(table.header[0]!)
      ? "; the header has a single column, so the separator may be wrong (set the separator option)"
      : `; choose another column with the ${option} option`;
  throw new DataError(op, `no column ${JSON.stringify(key)} in the header (columns: ${columns})${hint}`, { file, line: 1 });
}

/** csv-parse reports the line a record ends on; a quoted field with line breaks started earlier. */
function startLine(record: readonly string[], endLine: number): number {
  let breaks = 0;
  for (const field of record) breaks += (field.match(/\r\n|\r|\n/g) ?? []).length;
  return Math.max(1, endLine - breaks);
}

function csvProblem(error: CsvError, op: string, file: string): DataError {
  const line = typeof error["lines"] === "number" ? error["lines"] : undefined;
  const column = typeof error["column"] === "number" ? error["column"] : undefined;
  const record = Array.isArray(error["record"]) ? (error["record"] as unknown[]) : undefined;
  switch (error.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return new DataError(op, "a quoted field is never closed (a quote opens it but no closing quote follows before the end of the file)", { file, line });
    case "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH":
    case "CSV_RECORD_INCONSISTENT_COLUMNS": {
      const counts = /expect (\d+), got (\d+)/.exec(error.message);
      const got = counts === null ? (record === undefined ? "" : `, got ${record.length}`) : `: expected ${counts[1]} fields as in the header, got ${counts[2]}`;
      return new DataError(op, `malformed row${got} (quote a field that contains the separator)`, {
        file,
        line,
      });
    }
    default:
      return new DataError(op, `malformed CSV: ${error.message}`, { file, line, column });
  }
}
