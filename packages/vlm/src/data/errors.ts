/**
 * Errors of the data layer. A user feeds Duet their own manifests, so every message names the
 * file, and where it can the line and the column, then says what was expected and what came:
 *
 *   readCaptions: data/train.csv, line 7, column "title": quote not closed
 *
 * The CLI turns a DataError into exit status 2 and this one line on stderr.
 */

export interface DataLocation {
  /** The file or folder, as the user named it. */
  file?: string;
  /** 1-based line number in the file. */
  line?: number;
  /** A column name (quoted in the message) or a 1-based column number. */
  column?: string | number;
}

export class DataError extends Error {
  readonly op: string;
  readonly location: DataLocation;

  constructor(op: string, detail: string, location: DataLocation = {}) {
    super(`${op}: ${formatLocation(location)}${detail}`);
    this.name = "DataError";
    this.op = op;
    this.location = location;
  }
}

function formatLocation({ file, line, column }: DataLocation): string {
  const parts: string[] = [];
  if (file !== undefined) parts.push(file);
  if (line !== undefined) parts.push(`line ${line}`);
  if (column !== undefined) parts.push(typeof column === "number" ? `column ${column}` : `column ${JSON.stringify(column)}`);
  return parts.length === 0 ? "" : `${parts.join(", ")}: `;
}
