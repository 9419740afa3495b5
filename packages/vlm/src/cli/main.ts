/**
 * The `duet` command line (DESIGN §3). Each command has --help; a wrong flag, a missing
 * file or a malformed input exits with status 2 and one line on stderr naming the problem;
 * --json puts machine-readable output on stdout.
 *
 * `main(argv, io)` runs one command and returns its exit status without exiting, so tests
 * (and anything embedding Duet) can run the CLI in-process; run as a script, this file calls
 * it with the process's arguments and streams.
 */

import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { shutdownThreads } from "@duet/tensor";
import { checkThreadEnvironment, UsageError, type Command } from "./args.js";
import { captionCommand } from "./commands/caption.js";
import { classifyCommand } from "./commands/classify.js";
import { demoCommand } from "./commands/demo.js";
import { embedCommand } from "./commands/embed.js";
import { evalCommand } from "./commands/eval.js";
import { exportCommand } from "./commands/export.js";
import { exportDataCommand } from "./commands/export-data.js";
import { indexCommand } from "./commands/index-command.js";
import { lessonsCommand } from "./commands/lessons.js";
import { reportCommand } from "./commands/report.js";
import { searchCommand } from "./commands/search.js";
import { serveCommand } from "./commands/serve.js";
import { tokenizeCommand } from "./commands/tokenize.js";
import { trainCommand } from "./commands/train.js";
import { describeError, isInputError } from "./errors.js";
import { processIo, type Io } from "./io.js";

export const COMMANDS: Readonly<Record<string, Command>> = {
  demo: demoCommand,
  train: trainCommand,
  report: reportCommand,
  eval: evalCommand,
  embed: embedCommand,
  classify: classifyCommand,
  caption: captionCommand,
  tokenize: tokenizeCommand,
  export: exportCommand,
  "export-data": exportDataCommand,
  index: indexCommand,
  search: searchCommand,
  serve: serveCommand,
  lessons: lessonsCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: duet <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nRun "duet <command> --help" for a command's options.`;
}

/** Runs one command; returns the exit status (0 ok, 1 a bug in Duet, 2 bad input). */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      io.err(usage());
      return 2;
    }
    if (name === "--help" || name === "-h" || name === "help") {
      io.out(usage());
      return 0;
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) throw new UsageError(`duet: unknown command "${name}"; run "duet --help" for the list`);
    checkThreadEnvironment();
    return await command.run(rest, io);
  } catch (error) {
    io.err(describeError(error));
    if (isInputError(error)) return 2;
    if (process.env["DUET_DEBUG"] && error instanceof Error && error.stack) io.err(error.stack);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const code = await main(process.argv.slice(2));
  await shutdownThreads();
  process.exitCode = code;
  // a stray handle (a timer, a worker) must not keep a finished command alive
  setTimeout(() => process.exit(code), 100).unref();
}
