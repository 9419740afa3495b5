/** `duet report RUN`: the self-contained HTML report of a training run folder. */

import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { writeFileAtomic } from "../../data/atomic.js";
import { isRunFolder, readRunFolder, renderReport } from "../../report/index.js";
import { parseOrHelp, stringFlag, UsageError, type Command } from "../args.js";

const USAGE = `usage: duet report RUN [--out FILE] [--title T] [--json]

Writes the report of a training run folder (what duet train --out RUN or duet demo leaves) as
one self-contained HTML file (no script, no network; charts as SVG): the training loss with
its moving average, the validation curves (validation loss, retrieval and zero-shot with
their chance levels, from RUN/eval_log.jsonl when the run evaluated: duet train --eval-every),
the learning rate (steps where the schedule was re-planned marked) and the logit scale, and
the model and training configuration. It reads
  RUN/train_log.jsonl, RUN/eval_log.jsonl, RUN/checkpoint/config.json and
  RUN/checkpoint/train_state.json (the run's settings)
duet demo writes the same report, plus its test-split sections, as RUN/report.html.

  --out FILE    where to write (default RUN/report.html); an existing file is replaced only
                when it is a report duet report wrote
  --title T     the report's title (default "Duet training run: <RUN's name>")
  --json        print {"report", "steps", "evaluations"} as JSON`;

/** The generator a report written by this command names (renderReport puts it in a <meta> tag). */
const GENERATOR = "duet report";

/** Refuses to replace a file this command did not write (a demo's fuller report, anything else). */
function checkReplaceable(path: string): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) throw new UsageError(`duet report: --out ${path}: is a folder, expected a file`);
  const head = readFileSync(path, "utf8").slice(0, 2000);
  if (head.includes(`<meta name="generator" content="${GENERATOR}">`)) return;
  const what = head.includes(`<meta name="generator" content="duet demo">`) ? "the report duet demo wrote (with its test-split sections)" : "a file duet report did not write";
  throw new UsageError(`duet report: ${path} is ${what}; nothing was changed. Give --out FILE to write this report elsewhere`);
}

export const reportCommand: Command = {
  summary: "write the HTML report of a training run folder",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("report", USAGE, args, io, { out: { type: "string" }, title: { type: "string" }, json: { type: "boolean" } }, true);
    if (parsed === undefined) return 0;
    const [run, ...extra] = parsed.positionals;
    if (run === undefined) throw new UsageError("duet report: give the run folder, e.g. duet report runs/x; see duet report --help");
    if (extra.length > 0) throw new UsageError(`duet report: one run folder at a time, got also "${extra[0]}"`);
    if (!existsSync(run)) throw new UsageError(`duet report: ${run}: no such folder`);
    if (!statSync(run).isDirectory()) throw new UsageError(`duet report: ${run}: is a file, expected a run folder`);
    if (!isRunFolder(run)) throw new UsageError(`duet report: ${run}: not a training run folder (expected train_log.jsonl or checkpoint/train_state.json, as duet train --out writes)`);
    const out = stringFlag(parsed.values, "out") ?? join(run, "report.html");
    checkReplaceable(out);
    const data = readRunFolder(run);
    const html = renderReport({
      ...data,
      title: stringFlag(parsed.values, "title") ?? `Duet training run: ${basename(resolve(run))}`,
      generatedAt: new Date().toISOString(),
      generator: GENERATOR,
    });
    writeFileAtomic(out, html);
    const last = data.steps.at(-1)?.step ?? 0;
    if (parsed.values["json"]) io.out(JSON.stringify({ report: out, steps: last, evaluations: data.evals.length }));
    else io.out(`wrote ${out}: ${last} steps, ${data.evals.length} evaluation${data.evals.length === 1 ? "" : "s"}`);
    return 0;
  },
};
