/**
 * Where a command's output goes. Commands never touch process.stdout or console directly:
 * they write lines through an `Io`, so the tests can run the CLI in-process and read exactly
 * what a user would have seen, and stdout stays clean for --json.
 */

export interface Io {
  /** One line of the command's result on stdout. */
  out(line: string): void;
  /** One line of progress or diagnostics on stderr. */
  err(line: string): void;
  /** The stream a live progress bar may redraw, when stderr is a terminal; else undefined. */
  readonly errTerminal: NodeJS.WriteStream | undefined;
}

/** The real process streams. */
export function processIo(): Io {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    errTerminal: process.stderr.isTTY ? process.stderr : undefined,
  };
}

/** An Io that keeps what was written (tests, and anything embedding the CLI). */
export interface CapturedIo extends Io {
  readonly stdout: string[];
  readonly stderr: string[];
}

export function captureIo(): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => void stdout.push(line), err: (line) => void stderr.push(line), errTerminal: undefined };
}
