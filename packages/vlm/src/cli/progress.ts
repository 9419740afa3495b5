/**
 * Progress on stderr for long work. On a terminal, a live bar (cli-progress) redrawn in
 * place; otherwise (a pipe, a CI log, a test) a plain line now and then — two seconds in, at
 * most every `everySeconds` after, and at the end — so logs stay short and quick work prints
 * nothing.
 */

import cliProgress from "cli-progress";
import type { Io } from "./io.js";

export interface Progress {
  /** `done` of the total; `fields` fill the bar's {name} slots and the plain line's suffix. */
  update(done: number, fields?: Record<string, string | number>): void;
  /** Ends the bar (leaving it drawn at its last state), or prints the final plain line. */
  stop(): void;
  /** A line of its own on stderr (a warning, an evaluation) without breaking the bar. */
  log(line: string): void;
}

export interface ProgressOptions {
  /** Fields shown after the count, in order, e.g. ["loss", "lr"] (letters, digits and _ only: cli-progress's placeholders). */
  fields?: readonly string[];
  /** Seconds between plain lines when stderr is no terminal (default 10). */
  everySeconds?: number;
  /** Print nothing at all (e.g. a caller that reports itself). */
  silent?: boolean;
  /** Where the count starts (a resumed run): the ETA counts only the work done here. */
  initial?: number;
}

/** Work that finishes within this many milliseconds prints no plain progress line at all. */
const QUIET_MS = 2000;

/** A ProgressFactory (eval/embed.ts) drawing on `io`'s stderr. */
export function progressFor(io: Io): (label: string, total: number) => Progress {
  return (label, total) => startProgress(io, label, total);
}

export function startProgress(io: Io, label: string, total: number, options: ProgressOptions = {}): Progress {
  if (options.silent) return { update: () => undefined, stop: () => undefined, log: (line) => io.err(line) };
  const fields = options.fields ?? [];
  const terminal = io.errTerminal;
  if (terminal !== undefined) {
    const slots = fields.map((f) => `${f} {${f}}`).join(" | ");
    const bar = new cliProgress.SingleBar(
      {
        stream: terminal,
        format: `${label} [{bar}] {value}/{total}${slots ? ` | ${slots}` : ""} | {duration_formatted} elapsed, ETA {eta_formatted}`,
        barsize: 24,
        hideCursor: true,
        etaBuffer: 20,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, options.initial ?? 0, Object.fromEntries(fields.map((f) => [f, "-"])));
    let active = true;
    return {
      update: (done, values) => {
        if (active) bar.update(done, values);
      },
      stop: () => {
        if (active) bar.stop();
        active = false;
      },
      log: (line) => {
        if (!active) return void io.err(line);
        terminal.write(`\r\x1b[K${line}\n`); // clear the bar's line, print, let the bar redraw below
        bar.render();
      },
    };
  }
  const everyMs = (options.everySeconds ?? 10) * 1000;
  const started = Date.now();
  // quick work prints nothing: the first line waits until the work has taken a while
  let lastLine = started - everyMs + QUIET_MS;
  let printed = false;
  let last = { done: 0, values: {} as Record<string, string | number> };
  let stopped = false;
  const line = (done: number, values: Record<string, string | number>) => {
    const seconds = (Date.now() - started) / 1000;
    const extra = fields.filter((f) => values[f] !== undefined).map((f) => `${f} ${values[f]}`);
    const doneHere = done - (options.initial ?? 0);
    const eta = doneHere > 0 && done < total ? `, ETA ${formatSeconds((seconds * (total - done)) / doneHere)}` : "";
    printed = true;
    io.err(`${label} ${done}/${total}${extra.length ? ` | ${extra.join(" | ")}` : ""} | ${formatSeconds(seconds)} elapsed${eta}`);
  };
  return {
    update: (done, values = {}) => {
      last = { done, values: { ...last.values, ...values } };
      const now = Date.now();
      if (done < total && now - lastLine < everyMs) return;
      if (done >= total && (stopped || (!printed && now - started < QUIET_MS))) return;
      lastLine = now;
      if (done >= total) stopped = true;
      line(done, last.values);
    },
    stop: () => {
      if (!stopped && (printed || Date.now() - started >= QUIET_MS)) line(last.done, last.values);
      stopped = true;
    },
    log: (text) => io.err(text),
  };
}

/** 75 -> "1m15s", 4 -> "4.0s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
}
