/**
 * Argument parsing shared by the `duet` commands, on Node's util.parseArgs. Any problem
 * becomes a UsageError: the CLI prints its one line on stderr and exits with status 2.
 *
 * On top of parseArgs, for every command:
 *   - a value flag given twice is an error ("--lr given twice"), never a silent overwrite;
 *     a repeatable flag (`multiple: true`) keeps every value, a switch given twice is harmless;
 *   - open_clip's flag names are accepted where Duet has the flag under another name
 *     (`--train-data` for `--data`, ...); the two together are an error;
 *   - an unknown flag is answered with the nearest flag of the command ("did you mean");
 *   - flags whose value sizes an allocation (threads, accumulation) are bounded here, once,
 *     for every command that has them.
 */

import { existsSync, statSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { MAX_THREADS, parseThreadCount, TensorError } from "@duet/tensor";
import type { Io } from "./io.js";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export type Options = NonNullable<ParseArgsConfig["options"]>;

export type FlagValue = string | boolean | (string | boolean)[] | undefined;

export interface Parsed {
  values: Record<string, FlagValue>;
  positionals: string[];
}

/**
 * open_clip's names for Duet's flags, by command: open_clip_train's `--train-data`,
 * `--pretrained` and `--accum-freq`, and `--val-data` for the data `duet eval` scores.
 */
const OPEN_CLIP_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  train: { "train-data": "data", pretrained: "init", "accum-freq": "accumulation" },
  "eval zeroshot": { "val-data": "data" },
  "eval retrieval": { "val-data": "data" },
};

/** open_clip's names `command` accepts, each with the flag it stands for. */
function aliasesOf(command: string, options: Options): [alias: string, flag: string][] {
  return Object.entries(OPEN_CLIP_NAMES[command] ?? {}).filter(([alias, flag]) => Object.hasOwn(options, flag) && !Object.hasOwn(options, alias));
}

/** The most contrastive batches one optimiser step may accumulate. */
export const MAX_ACCUMULATION = 1024;

/** Upper bounds of flags whose value sizes threads or work, with the reason a user reads. */
const FLAG_LIMITS: Readonly<Record<string, { max: number; why: string }>> = {
  threads: { max: MAX_THREADS, why: `the worker pool's most: ${MAX_THREADS - 1} workers and the calling thread` },
  accumulation: {
    max: MAX_ACCUMULATION,
    why: "batches per optimiser step, each a full forward and backward pass; for a larger effective batch raise --batch-size, with --chunk-size if memory runs short",
  },
};

/** Parses a command's flags (see the top of this file); any problem is a UsageError naming the flag. */
export function parse(command: string, args: string[], options: Options, allowPositionals = false): Parsed {
  const aliases = aliasesOf(command, options);
  const config: Options = { ...options, help: { type: "boolean", short: "h" } };
  for (const [alias, flag] of aliases) config[alias] = options[flag]!;
  let result;
  try {
    result = parseArgs({ args, options: config, strict: true, allowPositionals, tokens: true });
  } catch (error) {
    throw parseError(command, error as Error & { code?: string }, Object.keys(config), allowPositionals);
  }
  const values = { ...(result.values as Parsed["values"]) };
  checkRepeats(command, config, result.tokens);
  for (const [alias, flag] of aliases) {
    if (values[alias] === undefined) continue;
    if (values[flag] !== undefined) throw new UsageError(`duet ${command}: --${alias} is open_clip's name for --${flag}: give one of them`);
    values[flag] = values[alias];
    delete values[alias];
  }
  for (const [flag, { max, why }] of Object.entries(FLAG_LIMITS)) {
    const value = values[flag];
    if (typeof value === "string" && Number(value) > max) throw new UsageError(`duet ${command}: --${flag} must be at most ${max} (${why}), got ${JSON.stringify(value)}`);
  }
  return { values, positionals: result.positionals };
}

/** A value flag (not `multiple`) given twice is an error naming both values. */
function checkRepeats(command: string, config: Options, tokens: readonly { kind: string; name?: string; value?: string | undefined }[]): void {
  const given = new Map<string, (string | undefined)[]>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined) continue;
    const option = config[token.name];
    if (option === undefined || option.multiple || option.type === "boolean") continue;
    const values = given.get(token.name) ?? [];
    values.push(token.value);
    given.set(token.name, values);
    if (values.length === 2) {
      throw new UsageError(`duet ${command}: --${token.name} given twice (${values.map((v) => JSON.stringify(v)).join(", then ")}); it takes one value: give it once`);
    }
  }
}

/** parseArgs' error as one line; an unknown flag with the nearest flag the command has. */
function parseError(command: string, error: Error & { code?: string }, flags: string[], allowPositionals: boolean): UsageError {
  const unknown = error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /'(-[^']*)'/.exec(error.message)?.[1] : undefined;
  if (unknown !== undefined) {
    const near = unknown.startsWith("--") ? nearest(unknown.slice(2), flags) : [];
    if (near.length > 0) return new UsageError(`duet ${command}: unknown flag ${unknown}; did you mean ${near.map((f) => `--${f}`).join(" or ")}?`);
    const dash = allowPositionals ? ` (a text that starts with "-" goes after "--")` : "";
    return new UsageError(`duet ${command}: unknown flag ${unknown}; see duet ${command} --help${dash}`);
  }
  // node's message may span lines ("...ambiguous.\nTo specify an option argument starting with a dash use '--lr=-XYZ'.")
  return new UsageError(`duet ${command}: ${error.message.trim().split(/\s*\n\s*/).join(" ")}`);
}

/**
 * The flags nearest to `typed`: edit distance (adjacent swaps count one) at most a third of
 * its length (one edit for short names), or `typed` a prefix of the flag; the closest win.
 */
export function nearest(typed: string, flags: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(typed.length / 3));
  let best = Infinity;
  let found: string[] = [];
  for (const flag of new Set(flags)) {
    if (flag === "help") continue;
    let distance = editDistance(typed.toLowerCase(), flag);
    if (distance > limit && typed.length >= 3 && flag.startsWith(typed.toLowerCase())) distance = limit;
    if (distance > limit) continue;
    if (distance < best) [best, found] = [distance, [flag]];
    else if (distance === best) found.push(flag);
  }
  return found;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps, each 1. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** DUET_THREADS, checked before a command runs: a bad value is the user's to fix (exit 2). */
export function checkThreadEnvironment(env: Record<string, string | undefined> = process.env): void {
  const value = env["DUET_THREADS"];
  if (value === undefined || value === "") return;
  try {
    parseThreadCount(value, "DUET_THREADS");
  } catch (error) {
    if (error instanceof TensorError) throw new UsageError(`duet: ${error.message.replace(/^threads: /, "")}`);
    throw error;
  }
}

/** A flag's value as a positive integer, or a UsageError naming the flag. */
export function positiveInt(command: string, flag: string, value: unknown, fallback: number): number;
export function positiveInt(command: string, flag: string, value: unknown, fallback?: undefined): number | undefined;
export function positiveInt(command: string, flag: string, value: unknown, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`duet ${command}: --${flag} must be a positive integer, got "${String(value)}"`);
  }
  return n;
}

/** A flag's value as an integer >= 0 (a seed, a warmup length), or a UsageError naming the flag. */
export function nonNegativeInt(command: string, flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(`duet ${command}: --${flag} must be an integer >= 0, got "${String(value)}"`);
  }
  return n;
}

/** A flag's value as a finite number in [min, max], or a UsageError naming the flag. */
export function numberIn(command: string, flag: string, value: unknown, min: number, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`duet ${command}: --${flag} must be a number ${range}, got "${String(value)}"`);
  }
  return n;
}

/** A string flag, or undefined. */
export function stringFlag(values: Parsed["values"], flag: string): string | undefined {
  const value = values[flag];
  return typeof value === "string" ? value : undefined;
}

/** A repeatable string flag (`multiple: true`) as a list. */
export function stringList(values: Parsed["values"], flag: string): string[] {
  const value = values[flag];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** A flag that must be given. */
export function required(command: string, values: Parsed["values"], flag: string): string {
  const value = stringFlag(values, flag);
  if (value === undefined || value === "") throw new UsageError(`duet ${command}: --${flag} is required; see duet ${command} --help`);
  return value;
}

/** At most one of the flags; returns the one given. */
export function oneOf(command: string, values: Parsed["values"], flags: readonly string[], mustGive: boolean): string | undefined {
  const given = flags.filter((flag) => values[flag] !== undefined);
  if (given.length > 1) throw new UsageError(`duet ${command}: give only one of ${flags.map((f) => `--${f}`).join(", ")}`);
  if (given.length === 0 && mustGive) throw new UsageError(`duet ${command}: give one of ${flags.map((f) => `--${f}`).join(", ")}; see duet ${command} --help`);
  return given[0];
}

/** A file that must exist (a folder is refused). */
export function existingFile(command: string, flag: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`duet ${command}: --${flag} ${path}: no such file`);
  if (statSync(path).isDirectory()) throw new UsageError(`duet ${command}: --${flag} ${path}: is a folder, expected a file`);
  return path;
}

/** A folder that must exist. */
export function existingFolder(command: string, flag: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`duet ${command}: --${flag} ${path}: no such folder`);
  if (!statSync(path).isDirectory()) throw new UsageError(`duet ${command}: --${flag} ${path}: is a file, expected a folder`);
  return path;
}

/** A command: its one-line summary, its usage text and what it does. Returns the exit status. */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: Io): Promise<number>;
}

/**
 * Parses a command's flags; on --help prints the usage and returns undefined (the command
 * then returns 0).
 */
export function parseOrHelp(command: string, usage: string, args: string[], io: Io, options: Options, allowPositionals = false): Parsed | undefined {
  const parsed = parse(command, args, options, allowPositionals);
  if (parsed.values["help"]) {
    const aliases = aliasesOf(command, options);
    io.out(aliases.length === 0 ? usage : `${usage}\n\nopen_clip's flag names work too: ${aliases.map(([alias, flag]) => `--${alias} (= --${flag})`).join(", ")}`);
    return undefined;
  }
  if (!allowPositionals && parsed.positionals.length > 0) throw new UsageError(`duet ${command}: unexpected argument "${parsed.positionals[0]}"`);
  return parsed;
}
