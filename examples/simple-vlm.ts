/**
 * SimpleVLM: the seed's toy vision-language model, piece by piece.
 *
 * Two towers map their inputs into one embedding space; the contrastive loss pulls each
 * image toward its own caption and away from the others in the batch. On random tensors
 * there is nothing to understand, only pairs to memorise — enough to watch the machinery
 * work: the loss falls from ln(batch) toward 0.
 *
 *   images  (B, 3, 32, 32)  random pixels around a random colour per image
 *   tokens  (B, 16)         [start, random words..., end, 0...], end = the largest id
 *
 *   image tower: conv–ReLU–pool ×2 → global average pool → x @ P_img      (B, 32)
 *   text tower:  embeddings + causal transformer → end-of-text → x @ P_txt (B, 32)
 *   imageFeatures = normalize(image tower),  textFeatures = normalize(text tower)
 *   loss = contrastiveLoss(imageFeatures, textFeatures, exp(t))            t = ln(1/τ), learned
 *   AdamW step; then t is clamped to [0, ln 100]
 *
 * The CLIP class (packages/vlm/src/model/clip.ts) packages exactly these parts, with
 * open_clip's names, for configs of either tower kind.
 *
 *   npx tsx examples/simple-vlm.ts
 */

import { fileURLToPath } from "node:url";
import * as A from "@duet/autograd";
import { AdamW, paramGroupsNoDecayForNdimLe1, type AdamWHyper } from "@duet/nn";
import { add, Generator, mul, randn, scalar, Tensor } from "@duet/tensor";
import { clampLogitScaleInPlace, contrastiveLoss, ConvImageTower, DEFAULT_INIT_LOGIT_SCALE, TextTransformer } from "@duet/vlm";

export interface SimpleVlmOptions {
  steps?: number;
  batchSize?: number;
  seed?: number;
  learningRate?: number;
  /** Called with one line per step (default: silent). */
  log?: (line: string) => void;
}

export interface SimpleVlmResult {
  /** The loss before each step. */
  losses: number[];
  /** exp(t) after the last step. */
  logitScale: number;
}

const IMAGE_SIZE = 32;
const CONTEXT = 16;
const VOCAB = 100;
const EMBED = 32;

/** Random captions: start = VOCAB-2, 3 to 12 random words, end = VOCAB-1 (the largest id), zero padding. */
function randomTokens(batch: number, generator: Generator): Tensor {
  const ids = new Int32Array(batch * CONTEXT);
  for (let b = 0; b < batch; b++) {
    const words = 3 + generator.nextInt(10);
    ids[b * CONTEXT] = VOCAB - 2;
    for (let j = 1; j <= words; j++) ids[b * CONTEXT + j] = 1 + generator.nextInt(VOCAB - 3);
    ids[b * CONTEXT + words + 1] = VOCAB - 1;
  }
  return new Tensor(ids, [batch, CONTEXT]);
}

export function main(options: SimpleVlmOptions = {}): SimpleVlmResult {
  const { steps = 8, batchSize = 8, seed = 0, learningRate = 2e-3, log = () => {} } = options;
  const generator = new Generator(seed);

  const imageTower = new ConvImageTower({ imageSize: IMAGE_SIZE, channels: [16, 32], outputDim: EMBED, generator });
  const textTower = new TextTransformer({ contextLength: CONTEXT, vocabSize: VOCAB, width: 32, heads: 2, layers: 2, outputDim: EMBED, generator });
  // t = ln(1/τ): a learned temperature, starting at τ = 0.07 as CLIP
  const logitScale = new A.Variable(scalar(DEFAULT_INIT_LOGIT_SCALE), { requiresGrad: true });

  const named: [string, A.Variable][] = [
    ...imageTower.namedParameters().map(([n, p]) => [`visual.${n}`, p] as [string, A.Variable]),
    ...textTower.namedParameters(),
    ["logit_scale", logitScale],
  ];
  const optimizer = new AdamW(paramGroupsNoDecayForNdimLe1<AdamWHyper>(named, 0.1), { lr: learningRate });

  // random images, each with its own random colour under the noise: global average pooling
  // washes pure noise out, so without a per-image signal every image would look the same
  const colours = randn([batchSize, 3, 1, 1], { generator });
  const images = add(colours, mul(randn([batchSize, 3, IMAGE_SIZE, IMAGE_SIZE], { generator }), 0.5));
  const tokens = randomTokens(batchSize, generator);

  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const imageFeatures = A.l2Normalize(imageTower.forward(images), -1);
    const textFeatures = A.l2Normalize(textTower.forward(tokens), -1);
    const loss = contrastiveLoss(imageFeatures, textFeatures, A.exp(logitScale));
    loss.backward();
    optimizer.step();
    clampLogitScaleInPlace(logitScale.value); // at most ln 100, or training diverges
    losses.push(loss.item());
    log(`step ${step + 1}/${steps}  loss ${loss.item().toFixed(4)}  (chance ${Math.log(batchSize).toFixed(4)})  logit scale ${Math.exp(logitScale.item()).toFixed(2)}`);
  }
  return { losses, logitScale: Math.exp(logitScale.item()) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main({ steps: 20, log: console.log });
