/** `duet demo`: the main job (demo-run.ts); `--engine` runs the quick tour of the tensor engine instead. */

import { numberIn, nonNegativeInt, parseOrHelp, positiveInt, stringFlag, UsageError, type Command } from "../args.js";
import { DEFAULT_REFERENCE, DEMO_MODELS, evaluationReserveSeconds, runDemo, type DemoModel } from "../demo-run.js";
import { runEngineDemo } from "./demo-engine.js";

const USAGE = `usage: duet demo [--model clip|coca] [--out DIR] [--overwrite] [--minutes N] [--steps N] [--json]

The main job: prepares the emojis in three drawing styles — OpenMoji, Noto Emoji, Fluent
Emoji Flat (rasterised and cached on the first run) — trains the default CLIP-style model on
them (as many steps as fit in --minutes, timed as it goes), evaluates it on the held-out
test split in every style (zero-shot classification over OpenMoji's subgroups, text-image
retrieval) and writes
  DIR/report.html     a self-contained report: curves, similarity matrix, examples, metrics,
                      every style's test metrics, the leave-one-style-out transfer table
  DIR/metrics.json    test-split zero-shot top-1/top-5 and retrieval R@1/5/10, with chance,
                      for OpenMoji's drawings and (under "styles") for each style
  DIR/split.json      the train/val/test emojis
  DIR/checkpoint/     the model (usable by duet embed, classify, eval, index, search)

With --model coca it trains a CoCa instead (the coca preset: the same towers with a text
decoder, trained to match and to caption) in the same budget, and also captions OpenMoji's
test emojis: metrics.json gets a "captioning" block (BLEU-1…4, ROUGE-L, CIDEr-D beside the
retrieval and most-frequent-caption baselines, as duet eval caption) and the report a
captioning section; duet caption uses its checkpoint.

  --model M           clip (default) or coca
  --out DIR           where to write (default runs/demo): a new or empty folder, or a run
                      folder of Duet's with --overwrite (a folder of other files is refused)
  --overwrite         replace the run in --out (its checkpoint, logs, report and metrics only)
  --minutes N         the demo's time budget in minutes (default 5): training gets all but
                      ${evaluationReserveSeconds("clip")} s of it (${evaluationReserveSeconds("coca")} s for coca, which also captions) for evaluating
                      and writing the report; the run's length and its cosine schedule
                      are fitted to it
  --steps N           train this many steps instead of the preset's (quick and CI smoke runs)
  --seed N            seed (default 0)
  --threads N         threads (default: all cores)
  --reference F       the PyTorch reference run's metrics JSON, shown beside Duet's
                      (default ${DEFAULT_REFERENCE}; "not run" when absent)
  --json              print metrics.json on stdout instead of the summary

Ctrl-C (or SIGTERM) during training stops after the current step, saves the checkpoint and
exits 130 (143) without evaluating; a second Ctrl-C quits at once.
  --engine            instead: a ten-second tour of the tensor engine (kernels checked
                      against their naive references and timed), writing DIR/metrics.json
                      (default DIR runs/engine; a demo's run folder is refused, not overwritten)`;

export const demoCommand: Command = {
  summary: "the main job: train on OpenMoji, evaluate, write a report",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("demo", USAGE, args, io, {
      out: { type: "string" },
      model: { type: "string" },
      overwrite: { type: "boolean" },
      minutes: { type: "string" },
      steps: { type: "string" },
      seed: { type: "string" },
      threads: { type: "string" },
      reference: { type: "string" },
      json: { type: "boolean" },
      engine: { type: "boolean" },
      // for smoke runs and tests, not in the usage: a subset of OpenMoji and a smaller batch
      limit: { type: "string" },
      "batch-size": { type: "string" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const json = Boolean(values["json"]);
    const outDir = stringFlag(values, "out") ?? (values["engine"] ? "runs/engine" : "runs/demo");
    const model = stringFlag(values, "model") ?? "clip";
    if (!(DEMO_MODELS as readonly string[]).includes(model)) throw new UsageError(`duet demo: --model must be ${DEMO_MODELS.join(" or ")}, got "${model}"`);
    if (values["engine"] && values["model"] !== undefined) throw new UsageError("duet demo: --model does not apply to --engine (the engine tour trains no model)");
    if (values["engine"]) {
      await runEngineDemo({ outDir, json }, io);
      return 0;
    }
    return runDemo(
      {
        outDir,
        model: model as DemoModel,
        overwrite: values["overwrite"] === true,
        minutes: numberIn("demo", "minutes", values["minutes"], Number.MIN_VALUE) ?? 5,
        steps: positiveInt("demo", "steps", values["steps"]),
        limit: positiveInt("demo", "limit", values["limit"]),
        batchSize: positiveInt("demo", "batch-size", values["batch-size"]),
        threads: positiveInt("demo", "threads", values["threads"]),
        seed: nonNegativeInt("demo", "seed", values["seed"]) ?? 0,
        referencePath: stringFlag(values, "reference") ?? DEFAULT_REFERENCE,
        json,
      },
      io,
    );
  },
};
