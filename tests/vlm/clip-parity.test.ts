/**
 * Parity with PyTorch 2.13 / open_clip 3.3.0 on two small ViT CLIPs loaded from open_clip
 * folders (tests/fixtures/clip, made by tools/make_clip_fixtures.py; no Python runs here):
 *
 *   pixels      Duet's decode + preprocess of the source PNGs vs open_clip's eval transform  ≤ 1e-6
 *   tokens      CLIP's tokenizer vs open_clip's SimpleTokenizer                              exact
 *   features    normalised image and text features                                           ≤ 5e-6
 *   logits      exp(logit_scale) · I @ Tᵀ                                                     ≤ 1e-4
 *   loss        ClipLoss and SigLipLoss                                                       ≤ 1e-5
 *   gradients   d ClipLoss / d parameters (the fixture's subset)                              ≤ 5e-5
 *
 * and the Duet-saved checkpoint: open_clip loaded it with strict=True (open_clip_check.json)
 * and its features equal Duet's.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { readSafetensors } from "../../packages/nn/src/node.js";
import { stack, type Tensor } from "../../packages/tensor/src/index.js";
import { contrastiveLoss, loadCheckpoint, preprocess, readImage, saveCheckpoint, sigLipLoss, tokenize } from "../../packages/vlm/src/index.js";
import { expectClose, fixtureFolder, readExpected } from "./clip-parity-helpers.js";

const TOLERANCE = { pixels: 1e-6, features: 5e-6, logits: 1e-4, loss: 1e-5, grads: 5e-5 };
const measured: Record<string, Record<string, number>> = {};

function record(name: string, what: string, value: number): void {
  measured[name] ??= {};
  measured[name]![what] = Math.max(measured[name]![what] ?? 0, value);
}

afterAll(() => {
  // the parity figures quoted in the docs and closing notes
  console.log(`max |Duet - PyTorch|: ${JSON.stringify(measured, (_, v) => (typeof v === "number" ? Number(v.toExponential(2)) : v))}`);
});

describe.each(["vit-gelu", "vit-quickgelu"])("open_clip parity: %s", (name) => {
  const { meta, tensors } = readExpected(name);
  const want = (key: string): Tensor => {
    const t = tensors.get(key);
    if (!t) throw new Error(`${name}/expected.safetensors has no ${key}`);
    return t;
  };
  const checkpoint = loadCheckpoint(fixtureFolder(name));
  const model = checkpoint.model;
  const pixels = want("pixels");
  const tokens = want("tokens");

  it("loads the open_clip folder with its config and preprocessing", () => {
    expect(checkpoint.layout).toBe("open_clip");
    expect(checkpoint.preprocess.size).toBe(meta.image_size);
    expect(model.logitScale.shape).toEqual([]);
  });

  it("decodes and preprocesses the photos as open_clip's eval transform (≤ 1e-6)", () => {
    const ours = stack(
      meta.images.map((file) => checkpoint.preprocessImage(readImage(join(fixtureFolder(name), file)))),
      0,
    );
    const direct = preprocess(readImage(join(fixtureFolder(name), meta.images[0]!)), meta.image_size);
    expect(Array.from(direct.contiguousData())).toEqual(Array.from(ours.select(0, 0).contiguousData()));
    record(name, "pixels", expectClose(`${name} pixels`, ours, pixels, TOLERANCE.pixels));
  });

  if (meta.tokens === "clip") {
    it("tokenizes the texts to open_clip's ids", () => {
      expect(Array.from(checkpoint.tokenize(meta.texts!).contiguousData())).toEqual(Array.from(tokens.contiguousData()));
      expect(Array.from(tokenize(meta.texts!, tokens.shape[1]).contiguousData())).toEqual(Array.from(tokens.contiguousData()));
    });
  } else {
    it("reads synthetic token rows whose end-of-text is the largest id", () => {
      const vocab = checkpoint.config.text_cfg.vocab_size;
      for (const row of tokens.toArray() as number[][]) {
        expect(row[0]).toBe(vocab - 2);
        expect(Math.max(...row)).toBe(vocab - 1);
      }
    });
  }

  it("gives open_clip's normalised features (≤ 5e-6) and logits (≤ 1e-4)", () => {
    A.noGrad(() => {
      const imageFeatures = model.encodeImage(pixels, { normalize: true });
      const textFeatures = model.encodeText(tokens, { normalize: true });
      record(name, "image_features", expectClose(`${name} image features`, imageFeatures.value, want("image_features"), TOLERANCE.features));
      record(name, "text_features", expectClose(`${name} text features`, textFeatures.value, want("text_features"), TOLERANCE.features));
      const { logitsPerImage, logitsPerText } = model.getLogits(pixels, tokens);
      record(name, "logits", expectClose(`${name} logits`, logitsPerImage.value, want("logits_per_image"), TOLERANCE.logits));
      expectClose(`${name} logits per text`, logitsPerText.value, want("logits_per_image").transpose(0, 1), TOLERANCE.logits);
    });
  });

  it("gives open_clip's ClipLoss and SigLipLoss (≤ 1e-5) and gradients (≤ 5e-5)", () => {
    model.zeroGrad();
    const out = model.forward(pixels, tokens);
    const n = meta.loss_pairs;
    const captions = A.slice(out.textFeatures, 0, 0, n);
    const loss = contrastiveLoss(out.imageFeatures, captions, out.logitScale);
    record(name, "loss", expectClose(`${name} ClipLoss`, loss.value, want("loss"), TOLERANCE.loss));
    const siglip = A.noGrad(() => sigLipLoss(out.imageFeatures.detach(), captions.detach(), 10, -10));
    record(name, "siglip_loss", expectClose(`${name} SigLipLoss`, siglip.value, want("siglip_loss"), TOLERANCE.loss));

    loss.backward();
    const params = new Map(model.namedParameters());
    const gradKeys = [...tensors.keys()].filter((k) => k.startsWith("grad."));
    expect(gradKeys.length).toBeGreaterThan(10);
    for (const block of meta.grad_blocks) expect(gradKeys.some((k) => k.startsWith(`grad.${block}`)), block).toBe(true);
    for (const key of gradKeys) {
      const pname = key.slice("grad.".length);
      const p = params.get(pname);
      expect(p, `no parameter ${pname}`).toBeDefined();
      expect(p!.grad, `${pname} has no gradient`).not.toBeNull();
      let grad = p!.grad!;
      if (pname === "token_embedding.weight") {
        const rows = want("grad_rows.token_embedding.weight");
        const used = new Set(Array.from(rows.contiguousData()));
        const width = grad.shape[1]!;
        const data = grad.contiguousData();
        let unusedMax = 0;
        for (let r = 0; r < grad.shape[0]!; r++) if (!used.has(r)) for (let c = 0; c < width; c++) unusedMax = Math.max(unusedMax, Math.abs(data[r * width + c]!));
        expect(unusedMax, "token_embedding rows no token uses get no gradient").toBe(0);
        grad = stack(Array.from(rows.contiguousData(), (r) => grad.select(0, r)), 0);
      }
      record(name, "grads", expectClose(`${name} d loss / d ${pname}`, grad, want(key), TOLERANCE.grads));
    }
  });
});

describe("a Duet-saved checkpoint in open_clip", () => {
  const folder = fixtureFolder("duet-saved");
  const check = JSON.parse(readFileSync(join(folder, "open_clip_check.json"), "utf8")) as {
    strict: boolean;
    missing_keys: string[];
    unexpected_keys: string[];
    stored_dtypes: string[];
    max_abs_diff_vs_duet: Record<string, number>;
  };

  it("is what saveCheckpoint writes today, byte for byte, and open_clip loaded it with strict=True: no missing or unexpected key (BF16 storage)", () => {
    // open_clip_check.json speaks for the committed bytes; re-saving the loaded model ties them to the code
    const resaved = mkdtempSync(join(tmpdir(), "duet-resaved-"));
    try {
      saveCheckpoint(resaved, loadCheckpoint(folder).model, { floatDtype: "BF16" });
      for (const file of ["config.json", "model.safetensors"]) {
        expect(readFileSync(join(resaved, file)).equals(readFileSync(join(folder, file))), `${file} as saveCheckpoint writes it now differs from the one open_clip loaded`).toBe(true);
      }
    } finally {
      rmSync(resaved, { recursive: true, force: true });
    }
    expect(check.strict).toBe(true);
    expect(check.missing_keys).toEqual([]);
    expect(check.unexpected_keys).toEqual([]);
    expect(check.stored_dtypes).toEqual(["bfloat16"]);
    expect(check.max_abs_diff_vs_duet["image_features"]!).toBeLessThanOrEqual(TOLERANCE.features);
    expect(check.max_abs_diff_vs_duet["text_features"]!).toBeLessThanOrEqual(TOLERANCE.features);
    expect(check.max_abs_diff_vs_duet["logits_per_image"]!).toBeLessThanOrEqual(TOLERANCE.logits);
  });

  it("Duet loads it back and gives open_clip's features", () => {
    const { model, layout } = loadCheckpoint(folder);
    expect(layout).toBe("duet");
    const { tensors: inputs } = readExpected("vit-quickgelu");
    const torch = readSafetensors(join(folder, "open_clip_features.safetensors")).tensors;
    A.noGrad(() => {
      const imageFeatures = model.encodeImage(inputs.get("pixels")!, { normalize: true });
      const textFeatures = model.encodeText(inputs.get("tokens")!, { normalize: true });
      record("duet-saved", "image_features", expectClose("duet-saved image features", imageFeatures.value, torch.get("image_features")!, TOLERANCE.features));
      record("duet-saved", "text_features", expectClose("duet-saved text features", textFeatures.value, torch.get("text_features")!, TOLERANCE.features));
      const logits = model.logits(imageFeatures, textFeatures).logitsPerImage.value;
      record("duet-saved", "logits", expectClose("duet-saved logits", logits, torch.get("logits_per_image")!, TOLERANCE.logits));
    });
  });
});
