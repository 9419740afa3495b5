/** Shared by the trainer's tests: a tiny model, a handful of OpenMoji emojis, temporary run folders. */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { loadOpenMoji, type ModelConfigJson, type OpenMoji, type TrainClipOptions } from "../../packages/vlm/src/index.js";

/** Eight emojis of eight subgroups: a face, a dog, an apple, a car, fire, a ball, a house, books. */
export const HANDFUL = ["1F600", "1F436", "1F34E", "1F697", "1F525", "26BD", "1F3E0", "1F4DA"];

/** A ViT on 16-px images (4 patches) and a one-layer text tower: ~50K parameters, a step in milliseconds. */
export function tinyModel(changes: { vision?: Record<string, unknown>; text?: Record<string, unknown> } = {}): ModelConfigJson {
  return {
    embed_dim: 16,
    vision_cfg: { image_size: 16, patch_size: 8, width: 32, layers: 1, head_width: 16, ...changes.vision },
    text_cfg: { width: 32, heads: 2, layers: 1, ...changes.text },
    duet: { tokenizer: "tokenizer.json" },
  };
}

const made: string[] = [];
// registered when a test file imports this module (a hook added inside a running test would be ignored)
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `duet-${prefix}-`));
  made.push(dir);
  return dir;
}

let handful: Promise<OpenMoji> | null = null;

/** HANDFUL rasterised at 16 px (into a temporary cache, once per test file). */
export function handfulOfOpenMoji(): Promise<OpenMoji> {
  handful ??= loadOpenMoji({ hexcodes: HANDFUL, resolution: 16, cacheDir: tempDir("openmoji-cache") });
  return handful;
}

/** Options of a small, fast run on the handful: one thread, no periodic checkpoints. */
export async function tinyRun(outDir: string, options: Partial<TrainClipOptions> = {}): Promise<TrainClipOptions> {
  return {
    model: tinyModel(),
    vocabSize: 600,
    contextLength: 16,
    data: { kind: "openmoji", dataset: await handfulOfOpenMoji(), split: "all" },
    outDir,
    steps: 6,
    batchSize: 8,
    lr: 2e-3,
    warmup: 1,
    threads: 1,
    dataParallel: false,
    checkpointEvery: 0,
    ...options,
  };
}
