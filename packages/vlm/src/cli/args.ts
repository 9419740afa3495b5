/**
 * Argument parsing shared by the `duet` commands, on Node's util.parseArgs. Any problem
 * becomes a UsageError: the CLI prints its one line on stderr and exits with status 2.
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export function parse(command: string, args: string[], options: Options, allowPositionals = false): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals });
    return { values: values as Parsed["values"], positionals };
  } catch (error) {
    throw new UsageError(`duet ${command}: ${(error as Error).message.split("\n")[0]}`);
  }
}

/** A flag's value as a positive integer, or a UsageError naming the flag. */
export function positiveInt(command: string, flag: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`duet ${command}: --${flag} must be a positive integer, got "${String(value)}"`);
  }
  return n;
}

/** A command: its usage text and what it does. Returns the exit status. */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}
