/**
 * CLIP's initialisation of the text tower (packages/vlm/src/model/clip-init.ts): the standard
 * deviations against open_clip's own (tests/fixtures/nn/clip_names.json, written by
 * tools/make_nn_fixtures.py), and the statistics of the draws over every part it re-draws.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Variable } from "../../packages/autograd/src/index.js";
import { Embedding, Transformer } from "../../packages/nn/src/index.js";
import { Generator, zeros, type Tensor } from "../../packages/tensor/src/index.js";
import { clipTransformerInitStds, initClipTextParameters } from "../../packages/vlm/src/model/clip-init.js";

interface InitStds {
  width: number;
  layers: number;
  proj_std: number;
  attn_std: number;
  fc_std: number;
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "..", "fixtures", "nn", "clip_names.json"), "utf8")) as { text_init_stds: InitStds };

function std(t: Tensor | Variable): number {
  const d = (t instanceof Variable ? t.value : t).contiguousData();
  let s = 0;
  for (const v of d) s += v;
  const mean = s / d.length;
  let ss = 0;
  for (const v of d) ss += (v - mean) ** 2;
  return Math.sqrt(ss / d.length);
}

const param = (shape: number[]) => new Variable(zeros(shape), { requiresGrad: true });

describe("CLIP's text-tower initialisation", () => {
  it("its standard deviations are open_clip's", () => {
    const { width, layers, proj_std, attn_std, fc_std } = fixture.text_init_stds;
    const stds = clipTransformerInitStds(width, layers);
    expect(stds.projStd).toBeCloseTo(proj_std, 15);
    expect(stds.attnStd).toBeCloseTo(attn_std, 15);
    expect(stds.fcStd).toBeCloseTo(fc_std, 15);
  });

  it("initClipTextParameters draws them, and leaves the biases as the layers made them", () => {
    const width = 64;
    const layers = 3;
    const transformer = new Transformer(width, layers, 4);
    const tokenEmbedding = new Embedding(1000, width);
    const positionalEmbedding = param([77, width]);
    const textProjection = param([width, 32]);
    const biasBefore = transformer.resblocks.at(0).mlp.cFc.bias!.value.toArray();
    initClipTextParameters({ transformer, tokenEmbedding, positionalEmbedding, textProjection }, { generator: new Generator(11) });
    const { projStd, attnStd, fcStd } = clipTransformerInitStds(width, layers);
    expect(projStd).toBeCloseTo(width ** -0.5 * (2 * layers) ** -0.5, 15);
    const near = (t: Variable, expected: number) => expect(std(t) / expected).toBeCloseTo(1, 1);
    near(tokenEmbedding.weight, 0.02);
    near(positionalEmbedding, 0.01);
    near(textProjection, width ** -0.5);
    for (const block of transformer.resblocks) {
      near(block.attn.inProjWeight, attnStd);
      near(block.attn.outProj.weight, projStd);
      near(block.mlp.cFc.weight, fcStd);
      near(block.mlp.cProj.weight, projStd);
    }
    expect(transformer.resblocks.at(0).mlp.cFc.bias!.value.toArray()).toEqual(biasBefore); // biases untouched, as open_clip
  });
});
