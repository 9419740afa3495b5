/**
 * Argument parsing shared by the `duet` commands, on Node's util.parseArgs. Any problem
 * becomes a UsageError: the CLI prints its one line on stderr and exits with status 2.
 */

import { existsSync, statSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
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

export function parse(command: string, args: string[], options: Options, allowPositionals = false): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals });
    return { values: values as Parsed["values"], positionals };
  } catch (error) {
    // node's message may span lines ("...ambiguous.\nTo specify an option argument starting with a dash use '--lr=-XYZ'.")
    throw new UsageError(`duet ${command}: ${(error as Error).message.trim().split(/\s*\n\s*/).join(" ")}`);
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
    io.out(usage);
    return undefined;
  }
  if (!allowPositionals && parsed.positionals.length > 0) throw new UsageError(`duet ${command}: unexpected argument "${parsed.positionals[0]}"`);
  return parsed;
}
