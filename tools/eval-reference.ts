/**
 * The PyTorch reference run (docs/reference-run.md), step 3 of 3: evaluates the weights
 * tools/reference_train.py trained with open_clip, with exactly the evaluator `duet demo` uses
 * (eval/: openMojiEvalSet + evaluateHeldOut on the TEST split), and writes
 * bench/results/reference-train.json, which the demo's report shows beside Duet's numbers.
 *
 *   npx tsx tools/eval-reference.ts --checkpoint DIR [--batches DIR] [--out bench/results/reference-train.json]
 *
 * The checkpoint folder holds open_clip's state dict (model.safetensors) beside the Duet run's
 * config.json and tokenizer.json; Duet's own checkpoint loader reads it (DESIGN §4). The JSON
 * keeps open_clip's metric names (zeroshot.top1/top5, retrieval.text_to_image_R@k, ...), which
 * report/reference.ts reads; Duet's numbers for the same run sit at the end under
 * "comparison", named so the reader never mistakes them for the reference's.
 */

import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadCheckpoint, loadOpenMoji } from "@duet/vlm";
import { writeFileAtomic } from "../packages/vlm/src/data/atomic.js";
import { chanceRecall, checkedEncoder, evaluateHeldOut, openMojiEvalSet, retrievalSummary, zeroShotSummary } from "../packages/vlm/src/eval/index.js";
import { progressFor } from "../packages/vlm/src/cli/progress.js";
import { processIo } from "../packages/vlm/src/cli/io.js";
import { DEFAULT_REFERENCE, repoRoot } from "../packages/vlm/src/cli/demo-run.js";
import type { BatchesHeader } from "./export-demo-batches.js";

interface TrainSummary {
  description: string;
  init: string;
  steps: number;
  batch_size: number;
  accumulation: number;
  seed: number;
  threads: number;
  final_loss: number | null;
  skipped_steps: number[];
  loss_curve: unknown;
  step1: unknown;
  wall_time_s: { train: number; total: number };
  load_average_at_start?: number;
  versions: Record<string, string>;
}

function readJson<T>(path: string): T {
  if (!existsSync(path)) throw new Error(`${path} is missing`);
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

const round = (v: number, digits = 4) => Number(v.toFixed(digits));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: "string" },
      batches: { type: "string" },
      out: { type: "string", default: DEFAULT_REFERENCE },
      help: { type: "boolean" },
    },
  });
  if (values.help || values.checkpoint === undefined) {
    process.stdout.write("usage: npx tsx tools/eval-reference.ts --checkpoint DIR [--batches DIR] [--out bench/results/reference-train.json]\n");
    process.exit(values.help ? 0 : 2);
  }
  const t0 = performance.now();
  const io = processIo();
  const checkpointDir = resolve(values.checkpoint);
  const summary = readJson<TrainSummary>(join(checkpointDir, "reference_train.json"));
  const batchesDir = resolve(values.batches ?? (summary as unknown as { batches: string }).batches);
  const header = readJson<BatchesHeader>(join(batchesDir, "header.json"));

  const checkpoint = loadCheckpoint(checkpointDir);
  // the evaluation set exactly as `duet demo` builds it: OpenMoji at the model's resolution, its test split
  const openMoji = await loadOpenMoji({ resolution: checkpoint.preprocess.size });
  const set = await openMojiEvalSet(checkpoint.preprocess.size, "test", { openMoji, onProgress: progressFor(io) });
  const { record } = await evaluateHeldOut(checkedEncoder(checkpoint), set, { onProgress: progressFor(io) });
  const z = zeroShotSummary(record);
  const r = retrievalSummary(record);
  const n = r.n_images;

  // Duet's numbers for the run the batches came from, when its metrics.json is there
  const duetMetricsPath = join(header.source.run_dir, "metrics.json");
  const duet = existsSync(duetMetricsPath) ? readJson<{ zeroshot: Record<string, number>; retrieval: Record<string, number>; train: { final_loss: number }; wall_time_s: Record<string, number> }>(duetMetricsPath) : null;
  const pairs: [string, number, number | undefined][] = [
    ["zeroshot_top1", z.top1, duet?.zeroshot["top1"]],
    ["zeroshot_top5", z.top5, duet?.zeroshot["top5"]],
    ...([1, 5, 10] as const).flatMap((k) =>
      (["text_to_image", "image_to_text"] as const).map((way) => [`${way}_R@${k}`, r[`${way}_R@${k}`], duet?.retrieval[`${way}_R@${k}`]] as [string, number, number | undefined]),
    ),
  ];
  const comparison = duet === null ? null : Object.fromEntries(pairs.map(([name, pytorch, ours]) => [name, { duet: ours ?? null, pytorch, duet_minus_pytorch: ours === undefined ? null : round(ours - pytorch) }]));

  // the committed JSON names the run's folders relative to the repository, never by this machine's absolute path
  const shown = (path: string): string => {
    const inRepo = relative(repoRoot(), path);
    return inRepo.startsWith("..") || isAbsolute(inRepo) ? basename(path) : inRepo;
  };
  const result = {
    description: `${summary.description}; ${summary.init === "duet" ? "from Duet's initial weights" : "open_clip's own init"}, trained on the exact batches and per-step lr of the Duet run in source_run`,
    source: `the Duet run ${shown(header.source.run_dir)} (${header.source.data}); its batches replayed by tools/export-demo-batches.ts`,
    source_run: { dir: shown(header.source.run_dir), checkpoint: shown(header.source.checkpoint), data: header.source.data, model: header.source.model },
    steps: summary.steps,
    batch_size: summary.batch_size,
    accumulation: summary.accumulation,
    seed: summary.seed,
    init: summary.init,
    threads: summary.threads,
    recipe: {
      lr: header.recipe.base_lr, warmup: header.recipe.warmup, schedule: "the lr Duet applied at each step (linear warmup, cosine to 0)", weight_decay: header.recipe.weight_decay,
      no_weight_decay: header.recipe.no_weight_decay, betas: header.recipe.betas, eps: header.recipe.eps, grad_clip_norm: header.recipe.grad_clip_norm, logit_scale_clamp: header.recipe.logit_scale_clamp, loss: "open_clip ClipLoss (symmetric InfoNCE)",
    },
    split: "test",
    zeroshot: { top1: z.top1, top5: z.top5, chance_top1: z.chance_top1, chance_top5: z.chance_top5, n: z.n, classes: z.classes },
    retrieval: {
      "text_to_image_R@1": r["text_to_image_R@1"], "text_to_image_R@5": r["text_to_image_R@5"], "text_to_image_R@10": r["text_to_image_R@10"],
      "image_to_text_R@1": r["image_to_text_R@1"], "image_to_text_R@5": r["image_to_text_R@5"], "image_to_text_R@10": r["image_to_text_R@10"],
      "chance_R@1": chanceRecall(n, 1), "chance_R@5": chanceRecall(n, 5), "chance_R@10": chanceRecall(n, 10),
      text_to_image_mean_rank: r.text_to_image_mean_rank, text_to_image_median_rank: r.text_to_image_median_rank,
      image_to_text_mean_rank: r.image_to_text_mean_rank, image_to_text_median_rank: r.image_to_text_median_rank,
      n_images: r.n_images, n_texts: r.n_texts,
    },
    wall_time_s: { train: round(summary.wall_time_s.train, 1), total: round(summary.wall_time_s.total, 1), evaluate: round((performance.now() - t0) / 1000, 1) },
    final_loss: summary.final_loss,
    loss_curve: summary.loss_curve,
    step1_check: { exporter: { ...header.first_batch, captions: header.first_batch.captions.slice(0, 3) }, pytorch: summary.step1 },
    versions: summary.versions,
    // the machine is often shared with other work: the wall time is only comparable at a similar load
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: availableParallelism(), node: process.version, load_average_at_train_start: summary.load_average_at_start ?? null },
    comparison:
      comparison === null
        ? null
        : { ...comparison, final_loss: { duet: duet!.train.final_loss, pytorch: summary.final_loss }, train_wall_time_s: { duet: duet!.wall_time_s["train"] === undefined ? null : round(duet!.wall_time_s["train"], 1), pytorch: round(summary.wall_time_s.train, 1) } },
  };
  const out = resolve(repoRoot(), values.out!);
  writeFileAtomic(out, `${JSON.stringify(result, null, 2)}\n`);
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  io.out(`PyTorch reference (${summary.steps} steps, ${summary.wall_time_s.train.toFixed(1)} s of training): test zero-shot top-1 ${pct(z.top1)}, top-5 ${pct(z.top5)}; text→image R@1/5/10 ${[1, 5, 10].map((k) => pct(r[`text_to_image_R@${k}` as "text_to_image_R@1"])).join(" / ")}`);
  if (duet !== null) io.out(`Duet (same run):                    test zero-shot top-1 ${pct(duet.zeroshot["top1"]!)}, top-5 ${pct(duet.zeroshot["top5"]!)}; text→image R@1/5/10 ${[1, 5, 10].map((k) => pct(duet.retrieval[`text_to_image_R@${k}`]!)).join(" / ")}`);
  io.out(`wrote ${relative(process.cwd(), out) || out}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`eval-reference: ${(error as Error).message}\n`);
  process.exit(2);
});
