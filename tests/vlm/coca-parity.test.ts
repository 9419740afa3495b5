/**
 * CoCa parity with open_clip 3.3.0 (PyTorch 2.13, float64) on two tiny random CoCas loaded from
 * open_clip folders (tests/fixtures/coca, made by tools/make_coca_fixtures.py; no Python runs
 * here): coca-gelu (attentional pooler, kdim ≠ d_model) and coca-quickgelu (no pooler, decoder
 * LayerScale). Duet runs each twice, in float64 and in float32, against the same float64
 * expectations:
 *
 *                                             float32 tolerance    float64 tolerance
 *   image and text features (normalised)      5e-6                 1e-12
 *   decoder logits (caption, and a prefix)    1e-4                 1e-12
 *   CoCa loss (contrastive, caption, total)   1e-5                 1e-12
 *   parameter gradients (the fixture's subset) 5e-5                2^-24 · max|grad| (they are
 *                                                                   stored as F32: its rounding)
 *   greedy ids for 8 images                   —                    equal
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { readSafetensors } from "../../packages/nn/src/node.js";
import type { Tensor } from "../../packages/tensor/src/index.js";
import { cocaLoss, greedyCaption, isCoCa, loadCheckpoint, type CoCa } from "../../packages/vlm/src/index.js";
import { expectClose } from "./clip-parity-helpers.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "coca");
const TOLERANCE = {
  float32: { features: 5e-6, logits: 1e-4, loss: 1e-5, grads: 5e-5 },
  float64: { features: 1e-12, logits: 1e-12, loss: 1e-12, grads: NaN }, // grads: F32 rounding, per tensor (below)
};
const measured: Record<string, Record<string, number>> = {};

afterAll(() => {
  // the parity figures quoted in the report and closing notes
  console.log(`CoCa max |Duet - open_clip|: ${JSON.stringify(measured, (_, v) => (typeof v === "number" ? Number(v.toExponential(2)) : v))}`);
});

interface Meta {
  sot: number;
  eot: number;
  max_length: number;
  greedy: number[][];
  grads: string[];
  parameter_names: string[];
}

const inputs = readSafetensors(join(FIXTURES, "inputs.safetensors"), { floatDtype: "float64" }).tensors;

describe.each(["coca-gelu", "coca-quickgelu"])("open_clip CoCa parity: %s", (name) => {
  const folder = join(FIXTURES, name);
  const meta = JSON.parse(readFileSync(join(folder, "expected.json"), "utf8")) as Meta;
  const expected = readSafetensors(join(folder, "expected.safetensors"), { floatDtype: "float64" }).tensors;
  const want = (key: string): Tensor => expected.get(key) ?? (() => { throw new Error(`${name}/expected.safetensors has no ${key}`); })();

  describe.each(["float64", "float32"] as const)("%s", (dtype) => {
    const tol = TOLERANCE[dtype];
    const checkpoint = loadCheckpoint(folder, { dtype });
    const model = checkpoint.model as unknown as CoCa;
    const pixels = inputs.get("pixels")!.to(dtype);
    const tokens = inputs.get("tokens")!;
    const close = (what: string, got: Tensor, key: string, tolerance: number) => {
      const d = expectClose(`${name} ${dtype} ${what}`, got.to("float64"), want(key), tolerance);
      const k = `${name}/${dtype}`;
      measured[k] ??= {};
      measured[k]![what] = Math.max(measured[k]![what] ?? 0, d);
    };

    it("loads as a CoCa with open_clip's parameter names, in torch's order", () => {
      expect(isCoCa(model)).toBe(true);
      expect(model.namedParameters().map(([k]) => k)).toEqual(meta.parameter_names);
    });

    it("gives open_clip's features, logit scale, caption logits and loss, and the loss's gradients", () => {
      model.zeroGrad();
      const out = model.forward(pixels.slice(0, 0, 4), tokens);
      close("image features", out.imageFeatures.value, "image_features", tol.features);
      close("text features", out.textFeatures.value, "text_features", tol.features);
      close("logit scale", out.logitScale.value, "logit_scale", tol.loss);
      close("caption logits", out.logits.value, "logits", tol.logits);
      expect(Array.from(out.labels.contiguousData())).toEqual(Array.from(tokens.slice(1, 1).contiguousData()));
      const loss = cocaLoss(out.imageFeatures, out.textFeatures, out.logits, out.labels, out.logitScale);
      close("contrastive loss", loss.contrastiveLoss.value, "contrastive_loss", tol.loss);
      close("caption loss", loss.captionLoss.value, "caption_loss", tol.loss);
      close("loss", loss.loss.value, "loss", tol.loss);
      loss.loss.backward();
      const params = new Map(model.namedParameters());
      expect(meta.grads.length).toBeGreaterThan(20);
      for (const key of meta.grads) {
        const p = params.get(key.slice("grad.".length));
        expect(p?.grad, `${name} ${dtype}: no gradient for ${key}`).toBeTruthy();
        const f32Rounding = 2 ** -24 * Math.max(...Array.from(want(key).contiguousData(), Math.abs)) + 1e-13;
        close("gradients", p!.grad!, key, dtype === "float64" ? f32Rounding : tol.grads);
      }
    });

    it("gives open_clip's decoder logits for a token prefix, as generation reads it", () => {
      const image = A.noGrad(() => model.encodeImageWithTokens(pixels.slice(0, 0, 4)));
      const logits = A.noGrad(() => model.decoderLogits(image.tokens, tokens.slice(1, 0, 6)));
      close("prefix logits", logits.value, "prefix_logits", tol.logits);
    });

    if (dtype === "float64") {
      it("greedy decoding gives the ids of the same loop over open_clip's modules, for 8 images", () => {
        const ids = greedyCaption(model, pixels, { sotId: meta.sot, eotId: meta.eot, maxLength: meta.max_length });
        expect(ids).toEqual(meta.greedy);
      });
    }
  });
});
