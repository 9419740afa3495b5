/**
 * `pnpm bench`: matmul and softmax, side by side in one process, interleaved.
 *
 * Implementations: Duet on all threads, Duet on one thread, Duet's naive reference
 * kernel, @tensorflow/tfjs-backend-cpu (the pure-JS engine users would otherwise pick),
 * and @tensorflow/tfjs-backend-wasm on one thread with SIMD (context: what WebAssembly gets
 * on the same core; Duet's engine stays pure TypeScript). For every shape each
 * implementation is warmed up, then timed in rounds that visit every implementation in
 * turn, so a noisy neighbour slows them all alike. Every call allocates its output, as a
 * user's call does.
 *
 * First and last, the pure-JS ceiling (bench/ceiling.ts): independent multiply-add chains in
 * registers. Every matmul row is also given as a share of it (per thread), which, unlike
 * GFLOP/s, carries over between hosts.
 *
 * Writes bench/results/latest.json (records plus the machine), bench/results/latest.svg,
 * and the table in bench/README.md. Options: --quick (fewer shapes and rounds),
 * --only matmul|softmax|caption, --rounds N.
 *
 * Last, "caption": a 20-token greedy caption of one image by the coca preset's CoCa (random
 * weights, the preset's 2K vocabulary), one thread, decoder keys and values cached.
 */

import { cpus } from "node:os";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import {
  Generator, getNumThreads, matmul, matmulNaive, randn, setNumThreads, shutdownThreads, softmax, softmaxNaive, type Tensor,
} from "../packages/tensor/src/index.js";
import { createModel, getPreset, isCoCa, parseModelConfig, timeGreedyCaption } from "../packages/vlm/src/index.js";
import { measureCeiling } from "./ceiling.js";
import { machineInfo, measuredLine, median, renderSvg, renderTable, replaceMarkedBlock, writeAtomic, type BenchRecord } from "./report.js";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(`usage: pnpm bench [--quick] [--only matmul|softmax|caption] [--rounds N]

Times matmul and softmax for Duet (all threads, one thread, naive reference),
tfjs-backend-cpu 4.22.0 and tfjs-backend-wasm 4.22.0 (SIMD, one thread), interleaved in one
process, and the pure-JS ceiling (independent multiply-add chains) before and after. Writes
bench/results/latest.json, bench/results/latest.svg and the table in bench/README.md.`);
  process.exit(0);
}
const quick = args.includes("--quick");
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
if (only !== undefined && only !== "matmul" && only !== "softmax" && only !== "caption") {
  console.error(`bench: --only takes matmul, softmax or caption, got ${String(only)}`);
  process.exit(2);
}
const roundsIndex = args.indexOf("--rounds");
const rounds = roundsIndex >= 0 ? Number(args[roundsIndex + 1]) : quick ? 3 : 9;
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench: --rounds takes a positive integer, got ${String(args[roundsIndex + 1])}`);
  process.exit(2);
}

const allThreads = getNumThreads();
/** A slow implementation gets fewer rounds: at most this many ms per shape. */
const SLOW_BUDGET_MS = quick ? 1500 : 6000;

interface Impl {
  impl: string;
  threads: number;
  setup: () => void;
  run: () => void;
  teardown?: () => void;
}

function timeOnce(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Runs all impls of one case interleaved; returns min and median per impl. */
function measure(impls: Impl[]): { min: number; median: number; runs: number }[] {
  const times: number[][] = impls.map(() => []);
  const warm: number[] = impls.map((im) => {
    im.setup();
    im.run(); // first call: JIT and pool start-up
    const t = timeOnce(im.run);
    im.teardown?.();
    return t;
  });
  const allowed = warm.map((t) => Math.max(1, Math.min(rounds, Math.floor(SLOW_BUDGET_MS / Math.max(t, 1e-3)))));
  for (let r = 0; r < rounds; r++) {
    // rotate the starting impl each round, so none always runs right after the same neighbour
    impls.forEach((_, k) => {
      const i = (k + r) % impls.length;
      const im = impls[i]!;
      if (r >= allowed[i]!) return;
      im.setup();
      times[i]!.push(timeOnce(im.run));
      im.teardown?.();
    });
  }
  return times.map((t) => ({ min: Math.min(...t), median: median(t), runs: t.length }));
}

/** A copy of `t` in tfjs, its storage in `backend`'s memory (a tensor made under one backend lives there). */
function toTf(t: Tensor, backend: TfBackend): tf.Tensor {
  useBackend(backend);
  return tf.tensor(t.contiguousData() as Float32Array, [...t.shape]);
}

type TfBackend = "cpu" | "wasm";

/**
 * Makes `backend` tfjs's current one. Both are initialised in main(), so tf.setBackend switches
 * before its first await: the switch is done when it returns, which the check makes sure of.
 */
function useBackend(backend: TfBackend): void {
  void tf.setBackend(backend);
  if (tf.getBackend() !== backend) throw new Error(`bench: tfjs did not switch to its ${backend} backend (still ${tf.getBackend()})`);
}

/** tfjs-cpu and tfjs-wasm rows for one op: `op` runs on tensors of the backend that is current. */
function tfImpls(op: (backend: TfBackend) => () => void): Impl[] {
  return (["cpu", "wasm"] as const).map((backend) => {
    const run = op(backend);
    return { impl: `tfjs-${backend}`, threads: 1, setup: () => useBackend(backend), run };
  });
}

/**
 * A 20-token greedy caption of one 32 px image by the coca preset's model (random weights: the
 * work of a step does not depend on them), on one thread: the issue's target is <= 50 ms.
 */
function captionRecord(rounds: number): BenchRecord {
  const preset = getPreset("coca");
  const vocab = preset.tokenizer.vocabSize;
  const json = preset.model;
  json["text_cfg"] = { ...(json["text_cfg"] as object), vocab_size: vocab, context_length: 32 };
  const model = createModel(parseModelConfig(json), { generator: new Generator(7) });
  if (!isCoCa(model)) throw new Error("bench: the coca preset did not build a CoCa");
  const size = model.config.vision_cfg.image_size;
  setNumThreads(1);
  // Duet's learned BPE puts <start_of_text> and <end_of_text> at the top two ids
  const t = timeGreedyCaption(model, randn([3, size, size], { generator: new Generator(8) }), { sotId: vocab - 2, tokens: 20, repeats: Math.max(5, rounds) });
  setNumThreads(allThreads);
  console.log(`  caption: 20 tokens in ${t.min_ms.toFixed(1)} ms (min), ${t.median_ms.toFixed(1)} ms (median)`);
  return { bench: "caption", shape: `20 tokens, coca preset (vocab ${vocab})`, impl: "duet", threads: 1, runs: Math.max(5, rounds), min_ms: t.min_ms, median_ms: t.median_ms };
}

function ceilingRecord(when: string): BenchRecord {
  const c = measureCeiling(Math.max(3, Math.min(rounds, 7)));
  console.log(`  js-ceiling (${when}): ${c.gflops.toFixed(2)} GFLOP/s with ${c.chains} chains (${Object.entries(c.byChains).map(([n, g]) => `${n}: ${g.toFixed(1)}`).join(", ")})`);
  return { bench: "ceiling", shape: `${c.chains} chains, ${when}`, impl: "js-ceiling", threads: 1, runs: c.runs, min_ms: c.minMs, median_ms: c.medianMs, gflops: c.gflops };
}

const records: BenchRecord[] = [];

function duetImpls(make: () => () => void, naive: () => void): Impl[] {
  return [
    { impl: "duet", threads: allThreads, setup: () => setNumThreads(allThreads), run: make() },
    { impl: "duet", threads: 1, setup: () => setNumThreads(1), run: make(), teardown: () => setNumThreads(allThreads) },
    { impl: "duet-naive", threads: 1, setup: () => undefined, run: naive },
  ];
}

async function main(): Promise<void> {
  // tfjs warns once about tfjs-node; the pure-JS CPU backend is the point here
  const warn = console.warn;
  console.warn = () => undefined;
  setThreadsCount(1);
  await tf.setBackend("wasm");
  await tf.ready();
  if (!(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"))) console.log("  (tfjs-wasm runs without SIMD here)");
  await tf.setBackend("cpu");
  await tf.ready();
  console.warn = warn;

  const g = new Generator(2024);
  const matmulShapes: [number, number, number][] = quick
    ? [[64, 64, 64], [256, 256, 256], [2048, 128, 384]]
    : [[64, 64, 64], [128, 128, 128], [256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [2048, 128, 384], [2048, 128, 512], [2048, 512, 128], [256, 64, 256]];
  const softmaxShapes: [number, number][] = quick ? [[4096, 256], [1024, 1024]] : [[4096, 256], [256, 4096], [1024, 1024], [64, 4096]];

  console.log(`Duet benchmark: ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}, threads ${allThreads}, ${rounds} rounds`);
  records.push(ceilingRecord("first"));

  if (only === undefined || only === "matmul") {
    for (const [M, K, N] of matmulShapes) {
      const a = randn([M, K], { generator: g });
      const b = randn([K, N], { generator: g });
      const held: tf.Tensor[] = [];
      const impls: Impl[] = [
        ...duetImpls(() => () => void matmul(a, b), () => void matmulNaive(a, b)),
        ...tfImpls((backend) => {
          const ta = toTf(a, backend);
          const tb = toTf(b, backend);
          held.push(ta, tb);
          return () => { const c = tf.matMul(ta, tb); c.dataSync(); c.dispose(); };
        }),
      ];
      const shape = `${M}x${K}x${N}`;
      const results = measure(impls);
      results.forEach((r, i) => {
        records.push({
          bench: "matmul", shape, impl: impls[i]!.impl, threads: impls[i]!.threads, runs: r.runs,
          min_ms: r.min, median_ms: r.median, gflops: (2 * M * K * N) / (r.min * 1e6),
        });
      });
      for (const t of held) t.dispose();
      process.stdout.write(`  matmul ${shape} done\n`);
    }
  }

  if (only === undefined || only === "softmax") {
    for (const [R, C] of softmaxShapes) {
      const x = randn([R, C], { generator: g });
      const held: tf.Tensor[] = [];
      const impls: Impl[] = [
        ...duetImpls(() => () => void softmax(x), () => void softmaxNaive(x)),
        ...tfImpls((backend) => {
          const tx = toTf(x, backend);
          held.push(tx);
          return () => { const y = tf.softmax(tx); y.dataSync(); y.dispose(); };
        }),
      ];
      const shape = `${R}x${C}`;
      const results = measure(impls);
      results.forEach((r, i) => {
        records.push({
          bench: "softmax", shape, impl: impls[i]!.impl, threads: impls[i]!.threads, runs: r.runs,
          min_ms: r.min, median_ms: r.median, ns_per_element: (r.min * 1e6) / (R * C),
        });
      });
      for (const t of held) t.dispose();
      process.stdout.write(`  softmax ${shape} done\n`);
    }
  }

  if (only === undefined || only === "caption") records.push(captionRecord(rounds));

  records.push(ceilingRecord("last"));
  await shutdownThreads();

  const machine = { ...machineInfo(), rounds, quick };
  const table = renderTable(records);
  console.log("\n" + table);

  const resultsDir = join(here, "results");
  mkdirSync(resultsDir, { recursive: true });
  writeAtomic(join(resultsDir, "latest.json"), JSON.stringify({ machine, records }, null, 2) + "\n");
  writeAtomic(join(resultsDir, "latest.svg"), renderSvg(records, machine));
  replaceMarkedBlock(join(here, "README.md"), "bench", `${measuredLine(machine, `${rounds} rounds${quick ? ", --quick" : ""}`)}\n\n${table}`);
  console.log(`\nwrote bench/results/latest.json, bench/results/latest.svg, bench/README.md`);
}

await main();
