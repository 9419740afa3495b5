/**
 * tools/export-demo-batches.ts replays a run's batches for the PyTorch reference run
 * (docs/reference-run.md). The law: what it writes for step k is bit for bit what trainClip
 * fed the model at step k — images after RandomResizedCrop and normalisation, token ids of
 * the sampled captions — and its rebuilt initial weights give the run's logged step-1 loss.
 * Checked by recording the towers' inputs during a small run (one thread, so every forward
 * pass runs here) and comparing them with the exported files. No Python.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Tensor } from "../../packages/tensor/src/index.js";
import { CLIP, trainClip } from "../../packages/vlm/src/index.js";
import { exportDemoBatches } from "../../tools/export-demo-batches.js";
import { handfulOfOpenMoji, tempDir, tinyRun } from "./train-helpers.js";

function copy(t: Tensor): Float32Array | Int32Array {
  const data = t.contiguousData();
  return data instanceof Int32Array ? Int32Array.from(data) : Float32Array.from(data);
}

/** A file's bytes in an ArrayBuffer of their own (a small Buffer may sit in Node's shared pool). */
function bytes(path: string): ArrayBuffer {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("export-demo-batches", () => {
  it("writes exactly the batches trainClip trained on, and reproduces its step-1 loss", async () => {
    const runDir = tempDir("ref-export-run");
    const steps = 3;
    const batchSize = 3; // 8 emojis: 2 batches an epoch, so step 3 starts epoch 1
    const images: Float32Array[] = [];
    const tokens: Int32Array[] = [];
    const encodeImage = CLIP.prototype.encodeImage;
    const encodeText = CLIP.prototype.encodeText;
    vi.spyOn(CLIP.prototype, "encodeImage").mockImplementation(function (this: CLIP, input, options) {
      images.push(copy(input as Tensor) as Float32Array);
      return encodeImage.call(this, input, options);
    });
    vi.spyOn(CLIP.prototype, "encodeText").mockImplementation(function (this: CLIP, input, options) {
      tokens.push(copy(input as Tensor) as Int32Array);
      return encodeText.call(this, input, options);
    });
    const result = await trainClip(await tinyRun(runDir, { steps, batchSize, augment: true, seed: 11 }));
    vi.restoreAllMocks();
    expect(result.steps).toBe(steps);
    expect(images).toHaveLength(steps);

    const out = tempDir("ref-export-out");
    const header = await exportDemoBatches({ runDir, outDir: out, openMoji: await handfulOfOpenMoji(), split: "all" });
    expect(header).toMatchObject({ steps, batches: steps, batch_size: batchSize, seed: 11, image_shape: [3, 16, 16], context_length: 16 });
    expect(header.recipe.lr_per_step).toHaveLength(steps);
    expect(header.first_batch.passed).toBe(true);
    expect(header.first_batch.abs_diff).toBeLessThan(1e-6);

    const exportedImages = new Float32Array(bytes(join(out, "images.f32")));
    const exportedTokens = new Int32Array(bytes(join(out, "tokens.i32")));
    const imageSize = batchSize * 3 * 16 * 16;
    const tokenSize = batchSize * 16;
    expect(exportedImages.length).toBe(steps * imageSize);
    expect(exportedTokens.length).toBe(steps * tokenSize);
    for (let k = 0; k < steps; k++) {
      expect(exportedImages.subarray(k * imageSize, (k + 1) * imageSize), `images of step ${k + 1}`).toEqual(images[k]);
      expect(exportedTokens.subarray(k * tokenSize, (k + 1) * tokenSize), `tokens of step ${k + 1}`).toEqual(tokens[k]);
    }
  });

  it("refuses data other than what the run trained on", async () => {
    const runDir = tempDir("ref-export-run2");
    await trainClip(await tinyRun(runDir, { steps: 2, batchSize: 4 }));
    await expect(exportDemoBatches({ runDir, outDir: tempDir("ref-export-out2"), openMoji: await handfulOfOpenMoji(), split: "train" })).rejects.toThrow(/the run trained on/);
  });
});
