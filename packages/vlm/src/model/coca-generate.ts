/**
 * Captioning with a CoCa: the cached decoder (each new token costs one row through the text
 * tower and the text decoder) under the strategies of decoding.ts.
 *
 *   imageTokens = visual(images).tokens                               once per image
 *   cross-attention keys/values of the image tokens, per decoder layer  once per image
 *   per step, for the new token x_t of each row:
 *     text tower:  e = token_embedding(x_t) + positional_embedding[t]
 *                  every block: self-attention over its cached keys/values (+ this token's)
 *     decoder:     every layer: self-attention (cached), cross-attention to the image
 *     logits = ln_final(h) @ text_projection                             (rows, vocab)
 *
 * Why the text tower can be cached too: it is causal, and CoCa's class token is appended after
 * the text, so no text position attends to it; the decoder reads the text positions only
 * (before ln_final, as CoCa.decoderLogits). The tower's legacy padding mask (text-transformer.ts:
 * key j is masked when token j-1 is pad_id) depends on tokens already read, so it is built from
 * each row's history: the cached step gives the uncached logits (tests/vlm/coca-generate.test.ts).
 *
 * Options: greedy by default; `beams` > 1 beam search (length-normalised, α = lengthPenalty,
 * default 1 as open_clip's generate()); `topK` / `topP` / `temperature` sampling with `seed`.
 * open_clip's generate() also adds a minimum length and a repetition penalty; this does not.
 */

import * as A from "@duet/autograd";
import { crossAttentionCache, crossAttentionStep, KeyValueCache, selfAttentionStep, type Embedding, type LayerNorm } from "@duet/nn";
import { Tensor } from "@duet/tensor";
import type { CoCa } from "./coca.js";
import { argmaxRow, beamDecode, checkDecodeOptions, greedyDecode, rowIndex, sampleDecode, type SamplingOptions, type TokenScorer } from "./decoding.js";
import { ModelError } from "./errors.js";

export interface GenerateOptions extends SamplingOptions {
  /** <start_of_text>: the first token of every prefix. */
  sotId: number;
  /** <end_of_text>: a caption ends after it. */
  eotId: number;
  /** At most this many generated ids (default and largest: the context length of the text tower and the decoder). */
  maxLength?: number;
  /** Beam search with this many beams (> 1); 1 is greedy. */
  beams?: number;
  /** Beam search's α in Σ log p / lengthᵅ (default 1, as open_clip's generate()). */
  lengthPenalty?: number;
  /** Sampling's seed (default 0). */
  seed?: number;
  /** The index of images[0] in a larger set decoded in batches: image i samples from the stream of seed and firstItem + i. */
  firstItem?: number;
}

/** CoCa's text tower and decoder as a TokenScorer over cached keys and values; build it under noGrad. */
export class CocaTokenScorer implements TokenScorer {
  readonly vocab: number;
  private readonly textCaches: KeyValueCache[];
  private readonly decoderCaches: KeyValueCache[];
  private readonly crossCaches: KeyValueCache[];
  /** Each row's ids read so far (for the text tower's padding mask). */
  private history: number[][];

  /** imageTokens (N, S, width) from encodeImageWithTokens: one row per image. */
  constructor(private readonly model: CoCa, imageTokens: A.Input) {
    const tower = model.textTower;
    if (!tower.causal) throw new ModelError("CocaTokenScorer", "the text tower is bidirectional (text_cfg.no_causal_mask): generation needs a causal tower, whose past does not change as tokens are added");
    this.vocab = model.config.text_cfg.vocab_size;
    this.textCaches = [...tower.transformer.resblocks].map(() => new KeyValueCache());
    this.decoderCaches = [...model.textDecoder.resblocks].map(() => new KeyValueCache());
    this.crossCaches = [...model.textDecoder.crossAttn].map((block) => crossAttentionCache(block, imageTokens));
    this.history = Array.from({ length: imageTokens.shape[0]! }, () => []);
  }

  /** Tokens read per row so far. */
  get position(): number {
    return this.history[0]?.length ?? 0;
  }

  step(tokens: Int32Array): ArrayLike<number> {
    return this.logits(tokens).contiguousData();
  }

  /** The next-token logits (rows, vocab) after appending tokens[r] to row r. */
  logits(tokens: Int32Array): Tensor {
    const { model } = this;
    const tower = model.textTower;
    const B = tokens.length;
    const t = this.position;
    if (B !== this.history.length) throw new ModelError("CocaTokenScorer.step", `${B} tokens for ${this.history.length} rows: give one token per row`);
    const longest = Math.min(tower.contextLength, model.textDecoder.contextLength);
    if (t >= longest) throw new ModelError("CocaTokenScorer.step", `every row already holds ${t} tokens, the most the text tower and the decoder read`);
    return A.noGrad(() => {
      const ids = new Tensor(tokens, [B, 1]);
      let x: A.Variable = A.add(tower.child<Embedding>("token_embedding").forward(ids), A.slice(tower.param("positional_embedding"), 0, t, t + 1));
      this.history.forEach((row, r) => row.push(tokens[r]!));
      const keyPaddingMask = tower.embedCls ? this.legacyPaddingMask() : undefined;
      [...tower.transformer.resblocks].forEach((block, i) => (x = selfAttentionStep(block, x, this.textCaches[i]!, { keyPaddingMask })));
      if (!tower.embedCls) x = tower.child<LayerNorm>("ln_final").forward(x);
      const decoder = model.textDecoder;
      for (let i = 0; i < decoder.layers; i++) {
        x = selfAttentionStep(decoder.resblocks.at(i), x, this.decoderCaches[i]!);
        x = crossAttentionStep(decoder.crossAttn.at(i), x, this.crossCaches[i]!);
      }
      const logits = A.matmul(decoder.child<LayerNorm>("ln_final").forward(x), decoder.param("text_projection"));
      return logits.value.reshape([B, this.vocab]);
    });
  }

  /** The text tower's key padding mask over the tokens read (B, t+1), int32 1 = masked: key j ≥ 1 when token j-1 is pad_id. */
  private legacyPaddingMask(): Tensor {
    const B = this.history.length;
    const T = this.position;
    const pad = this.model.textTower.padId;
    const mask = new Int32Array(B * T);
    this.history.forEach((row, b) => {
      for (let j = 1; j < T; j++) mask[b * T + j] = row[j - 1] === pad ? 1 : 0;
    });
    return new Tensor(mask, [B, T]);
  }

  selectRows(rows: Int32Array): void {
    const index = rowIndex(rows);
    for (const cache of [...this.textCaches, ...this.decoderCaches, ...this.crossCaches]) cache.selectRows(index);
    this.history = Array.from(rows, (r) => [...this.history[r]!]);
  }
}

/** The longest caption a CoCa can generate: the prefixes it reads fit both context lengths. */
export function longestCaption(model: CoCa): number {
  return Math.min(model.config.text_cfg.context_length, model.textDecoder.contextLength);
}

/** Checks the options against the model; returns maxLength. Errors name the option. */
function checkOptions(model: CoCa, options: GenerateOptions): number {
  const op = "generateCaptions";
  const vocab = model.config.text_cfg.vocab_size;
  for (const [name, id] of [["sotId", options.sotId], ["eotId", options.eotId]] as const) {
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new ModelError(op, `${name} must be a token id in [0, ${vocab - 1}], got ${id}`);
  }
  const longest = longestCaption(model);
  const maxLength = options.maxLength ?? longest;
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > longest) {
    throw new ModelError(op, `maxLength must be an integer from 1 to ${longest} (the longest prefix the text tower and the decoder read), got ${maxLength}`);
  }
  checkDecodeOptions(op, options);
  return maxLength;
}

/**
 * A caption's generated ids for each image (N, 3, S, S), ending with <end_of_text> when the
 * model chose it within maxLength ids (as greedyCaption, which this equals with the defaults).
 */
export function generateCaptions(model: CoCa, images: A.Input, options: GenerateOptions): number[][] {
  const maxLength = checkOptions(model, options);
  return A.noGrad(() => {
    const imageTokens = model.encodeImageWithTokens(images).tokens;
    const N = imageTokens.shape[0]!;
    const scorer = new CocaTokenScorer(model, imageTokens);
    const limits = { sotId: options.sotId, eotId: options.eotId, maxLength };
    if ((options.beams ?? 1) > 1) return beamDecode(scorer, N, limits, options.beams!, options.lengthPenalty ?? 1).map((r) => r.ids);
    const sampling = options.topK !== undefined || options.topP !== undefined || options.temperature !== undefined;
    return sampling ? sampleDecode(scorer, N, limits, options) : greedyDecode(scorer, N, limits);
  });
}

/** A caption's ids without the final <end_of_text> (what `duet caption --json` prints as tokens). */
export function stripEnd(ids: readonly number[], eotId: number): number[] {
  return ids[ids.length - 1] === eotId ? ids.slice(0, -1) : [...ids];
}

/**
 * For `pnpm bench`: the time of one greedy caption of exactly `tokens` ids for one image
 * (image encoding included; <end_of_text> does not stop it), over `repeats` runs after one
 * untimed warm-up run. On a loaded 2-core host the demo-sized CoCa (coca preset, vocabulary 2K)
 * took 29 ms (min) / 48 ms (median) for 20 tokens on one thread; `pnpm bench` owns the number.
 */
export function timeGreedyCaption(model: CoCa, image: Tensor, options: { sotId: number; tokens?: number; repeats?: number } = { sotId: 0 }): { tokens: number; min_ms: number; median_ms: number } {
  const tokens = options.tokens ?? 20;
  const repeats = options.repeats ?? 5;
  if (!Number.isInteger(tokens) || tokens < 1 || tokens > longestCaption(model)) {
    throw new ModelError("timeGreedyCaption", `tokens must be an integer from 1 to ${longestCaption(model)}, got ${tokens}`);
  }
  const batch = image.ndim === 3 ? image.unsqueeze(0) : image;
  const times: number[] = [];
  // run -1 is untimed: the first pass compiles the code paths (JIT) and allocates the masks
  for (let r = -1; r < repeats; r++) {
    const start = performance.now();
    A.noGrad(() => {
      const scorer = new CocaTokenScorer(model, model.encodeImageWithTokens(batch).tokens);
      let next = new Int32Array(batch.shape[0]!).fill(options.sotId);
      for (let t = 0; t < tokens; t++) {
        const logits = scorer.step(next);
        next = Int32Array.from({ length: next.length }, (_, row) => argmaxRow(logits, row * scorer.vocab, scorer.vocab));
      }
    });
    if (r >= 0) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { tokens, min_ms: times[0]!, median_ms: times[Math.floor(times.length / 2)]! };
}
