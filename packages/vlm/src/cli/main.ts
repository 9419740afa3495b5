/**
 * The `duet` command line (DESIGN §3). Each command has --help; a wrong flag, a missing
 * file or a malformed input exits with status 2 and one line on stderr naming the problem;
 * --json puts machine-readable output on stdout.
 */

import { UsageError, type Command } from "./args.js";
import { demoCommand } from "./commands/demo.js";
import { tokenizeCommand } from "./commands/tokenize.js";

const COMMANDS: Record<string, Command> = {
  demo: demoCommand,
  tokenize: tokenizeCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: duet <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nRun "duet <command> --help" for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`duet: unknown command "${name}"; run "duet --help" for the list`);
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`duet: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
