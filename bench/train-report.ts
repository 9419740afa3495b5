/**
 * `pnpm bench:train`'s records and tables: step times in, a record per configuration and
 * the markdown printed and put in bench/README.md out.
 */

import { median } from "./report.js";
import { ISSUE_ANCHORS, type BenchConfig, type BenchModel, type TrainBenchRecord } from "./train-options.js";

/** What a configuration's process reports for its timed steps. */
export interface StepTimes {
  ms: number[];
  cpu_ms: number[];
}

export function toRecord(model: BenchModel, config: BenchConfig, batch: number, times: StepTimes, peakRssMb: number): TrainBenchRecord {
  if (times.ms.length === 0) throw new Error(`bench:train: no timed steps for ${model} ${config.impl} ${config.mode}`);
  const medianMs = median(times.ms);
  return {
    model,
    impl: config.impl,
    mode: config.mode,
    threads: config.threads,
    batch,
    steps_timed: times.ms.length,
    min_ms: round(Math.min(...times.ms)),
    median_ms: round(medianMs),
    samples_per_s: round(batch / (medianMs / 1000)),
    median_cpu_ms: round(median(times.cpu_ms)),
    peak_rss_mb: round(peakRssMb),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
const seconds = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 3 : 2);

/** "14.8× slower" or "2.1× faster": `ours` against `theirs`, both times. */
export function ratioText(ours: number, theirs: number): string {
  return ours >= theirs ? `${(ours / theirs).toFixed(1)}× slower` : `${(theirs / ours).toFixed(1)}× faster`;
}

/**
 * One row per configuration. "vs PyTorch (this run)" compares a Duet row with PyTorch on the
 * same model and thread count measured in the same run (--torch only).
 */
export function renderTrainTable(records: readonly TrainBenchRecord[]): string {
  const withTorch = records.some((r) => r.impl === "pytorch");
  const lines = [
    `| model | impl | mode | threads | batch | steps | min s/step | median s/step | samples/s | CPU s/step | peak RSS MiB |${withTorch ? " vs PyTorch (this run) |" : ""}`,
    `| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${withTorch ? " ---: |" : ""}`,
  ];
  for (const r of records) {
    const torch = records.find((t) => t.impl === "pytorch" && t.model === r.model && t.threads === r.threads);
    const versus = r.impl === "duet" && torch ? ratioText(r.median_ms, torch.median_ms) : "";
    lines.push(
      `| ${r.model} | ${r.impl} | ${r.mode} | ${r.threads} | ${r.batch} | ${r.steps_timed} | ${seconds(r.min_ms)} | ${seconds(r.median_ms)} | ${r.samples_per_s.toFixed(1)} | ` +
        `${seconds(r.median_cpu_ms)} | ${r.peak_rss_mb.toFixed(0)} |${withTorch ? ` ${versus} |` : ""}`,
    );
  }
  return lines.join("\n");
}

/**
 * Duet's reference-model rows against the anchor figures the speed target was set with,
 * measured on a machine of this kind when it was set: they are not this run's (the table above has PyTorch's from this run, with --torch).
 */
export function renderAnchorTable(records: readonly TrainBenchRecord[]): string {
  const rows = records.filter((r) => r.model === "reference" && r.impl === "duet");
  if (rows.length === 0) return "";
  const { pytorch_2_threads_s_per_step: torch, tfjs_cpu_s_per_step: tfjs, target_2_threads_s_per_step: target } = ISSUE_ANCHORS;
  const lines = [
    `Against the anchor figures the reference model's speed target was set with (measured on a 2-core machine of this kind when the target was set, not in this run): ` +
      `PyTorch ${torch.toFixed(2)} s/step on 2 threads, @tensorflow/tfjs-backend-cpu ${tfjs} s/step; target ≤ ${target} s/step on 2 threads.`,
    "",
    `| reference, duet | median s/step | vs PyTorch 2 threads (anchor: ${torch.toFixed(2)} s) | vs tfjs-cpu (anchor: ${tfjs} s) | target ≤ ${target} s on 2 threads |`,
    "| --- | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    const s = r.median_ms / 1000;
    const twoThreads = r.threads === 2;
    const verdict = !twoThreads ? "—" : s <= target ? `met (${(target - s).toFixed(2)} s to spare)` : `missed by ${(s - target).toFixed(2)} s`;
    lines.push(`| ${r.mode} | ${s.toFixed(2)} | ${twoThreads ? ratioText(s, torch) : "—"} | ${ratioText(s, tfjs)} | ${verdict} |`);
  }
  return lines.join("\n");
}
