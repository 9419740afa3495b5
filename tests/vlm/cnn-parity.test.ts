/**
 * Parity of Duet's CNN image tower (model/cnn-tower.ts) with the same tower written in PyTorch
 * 2.13 (tools/make_cnn_fixtures.py; no Python runs here), on the same float32 weights:
 *
 *   cnn-matrix   blocks [8, 16], "matrix" head, embed 16, on the three 48-px photos of vit-quickgelu
 *   cnn-mlp      blocks [4, 6, 8], "mlp" head (hidden 12), embed 8, on two random 21-px images
 *                (odd sizes: every max-pool drops a row and a column)
 *
 *   features    the tower's output, before normalisation                       ≤ 5e-6
 *   loss        sum(normalize(features) * target)                              ≤ 1e-5
 *   gradients   d loss / d every parameter (conv weights and biases, heads)    ≤ 5e-5
 *
 * The oracle ran in float64, so the differences are Duet's float32 rounding alone; the
 * tolerances are the ViT's (clip-parity.test.ts).
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { readSafetensors } from "../../packages/nn/src/node.js";
import type { Tensor } from "../../packages/tensor/src/index.js";
import { ConvImageTower } from "../../packages/vlm/src/index.js";
import { expectClose, fixtureFolder } from "./clip-parity-helpers.js";

const TOLERANCE = { features: 5e-6, loss: 1e-5, grads: 5e-5 };

interface CnnMeta {
  channels: number[];
  projection: "matrix" | "mlp";
  projection_hidden: number | null;
  embed_dim: number;
  image_size: number;
  parameters: string[];
}

const measured: Record<string, Record<string, number>> = {};
afterAll(() => {
  console.log(`max |Duet - PyTorch| (CNN tower): ${JSON.stringify(measured, (_, v) => (typeof v === "number" ? Number(v.toExponential(2)) : v))}`);
});

describe.each(["cnn-matrix", "cnn-mlp"])("PyTorch parity of the CNN image tower: %s", (name) => {
  const folder = fixtureFolder(name);
  const meta = JSON.parse(readFileSync(join(folder, "expected.json"), "utf8")) as CnnMeta;
  const expected = readSafetensors(join(folder, "expected.safetensors")).tensors;
  const want = (key: string, from: Map<string, Tensor> = expected): Tensor => {
    const t = from.get(key);
    if (!t) throw new Error(`${name}: no ${key} in the fixture`);
    return t;
  };
  // cnn-matrix runs on vit-quickgelu's photos, which the fixture reads from there rather than copy
  const pixels = expected.has("pixels") ? want("pixels") : want("pixels", readSafetensors(join(fixtureFolder("vit-quickgelu"), "expected.safetensors")).tensors);
  const record = (what: string, value: number) => ((measured[name] ??= {})[what] = Math.max(measured[name]?.[what] ?? 0, value));

  const tower = new ConvImageTower({
    imageSize: meta.image_size,
    channels: meta.channels,
    outputDim: meta.embed_dim,
    projection: meta.projection,
    projectionHidden: meta.projection_hidden ?? undefined,
    initialize: false,
  });
  const weights = readSafetensors(join(folder, "weights.safetensors")).tensors;
  // not strict here, so a mismatch fails the first test below rather than the file's collection
  const loaded = tower.loadStateDict(weights, { strict: false });

  it("has PyTorch's parameter names and shapes, and loads the weights with no key missing or left over", () => {
    expect(tower.namedParameters().map(([n]) => n).sort()).toEqual([...meta.parameters].sort());
    for (const [n, p] of tower.namedParameters()) expect(p.shape, n).toEqual(want(n, weights).shape);
    expect(loaded).toEqual({ missingKeys: [], unexpectedKeys: [] });
  });

  it("gives PyTorch's features (≤ 5e-6)", () => {
    const features = A.noGrad(() => tower.forward(pixels));
    expect(features.shape).toEqual([pixels.shape[0], meta.embed_dim]);
    record("features", expectClose(`${name} features`, features.value, want("features"), TOLERANCE.features));
  });

  it("gives PyTorch's loss (≤ 1e-5) and its gradient for every parameter (≤ 5e-5)", () => {
    tower.zeroGrad();
    const loss = A.sum(A.mul(A.l2Normalize(tower.forward(pixels), -1), want("target")));
    record("loss", expectClose(`${name} loss`, loss.value, want("loss"), TOLERANCE.loss));
    loss.backward();
    const gradKeys = [...expected.keys()].filter((k) => k.startsWith("grad."));
    expect(gradKeys.map((k) => k.slice("grad.".length)).sort(), "the fixture has a gradient for every parameter").toEqual([...meta.parameters].sort());
    for (const [pname, p] of tower.namedParameters()) {
      expect(p.grad, `${pname} has no gradient`).not.toBeNull();
      record("grads", expectClose(`${name} d loss / d ${pname}`, p.grad!, want(`grad.${pname}`), TOLERANCE.grads));
    }
  });
});
