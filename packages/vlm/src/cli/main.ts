/**
 * The `duet` command line (../shared/DESIGN.md §3). Each command has --help; a wrong
 * flag or a bad value exits with status 2 and one line on stderr naming the problem.
 *
 * Commands land with their issues; today: `demo` (the engine tour, until the CLIP demo
 * of the training issue replaces it).
 */

import { parseArgs } from "node:util";
import { runEngineDemo } from "./engine-demo.js";

export class UsageError extends Error {}

const USAGE = `usage: duet <command> [options]

commands:
  demo     run the demo (today: a tour of the tensor engine: views, broadcasting,
           the tiled matmul and the fast softmax against their naive references)

Run "duet <command> --help" for a command's options.`;

const DEMO_USAGE = `usage: duet demo [--out DIR] [--json]

Runs the engine tour and writes DIR/metrics.json (default DIR: runs/demo).
  --out DIR   where to write metrics.json
  --json      print the metrics as JSON on stdout instead of the human summary`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  switch (command) {
    case "demo": {
      const { values } = parse(rest, { out: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, "demo");
      if (values.help) {
        console.log(DEMO_USAGE);
        return 0;
      }
      await runEngineDemo({ outDir: (values.out as string | undefined) ?? "runs/demo", json: Boolean(values.json) });
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"; run "duet --help" for the list`);
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

function parse(args: string[], options: Options, command: string): ReturnType<typeof parseArgs> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(`duet ${command}: ${(error as Error).message.split("\n")[0]}`);
  }
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
