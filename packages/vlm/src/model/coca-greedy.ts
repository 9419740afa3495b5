/**
 * Greedy captioning with a CoCa, the plainest decoder: start from <start_of_text>, and at each
 * step append the argmax of the decoder's logits for the last position, until <end_of_text>
 * or `maxLength` generated tokens. No logit processors (open_clip's generate() adds a minimum
 * length and a repetition penalty; this does not).
 *
 *   imageTokens = visual(images).tokens                 once per image
 *   prefix = [sot]
 *   repeat:  next = argmax_v decoderLogits(imageTokens, prefix)[:, -1, v];  prefix += next
 *
 * Uncached: each step re-reads the whole prefix through the text tower and the decoder, so a
 * caption of n tokens costs O(n²) token-passes. A key/value cache (each layer's keys and values
 * of the tokens already read) would make it O(n); that is the next step, and it must give the
 * same ids as this loop.
 *
 * Rows are decoded together; a finished row is padded with pad_id and its outputs ignored (rows
 * never mix: attention runs within a row), so the ids do not depend on the batch.
 */

import * as A from "@duet/autograd";
import { Tensor } from "@duet/tensor";
import type { CoCa } from "./coca.js";
import { ModelError } from "./errors.js";

export interface GreedyOptions {
  /** <start_of_text>: the first token of every prefix. */
  sotId: number;
  /** <end_of_text>: generation of a row stops after it. */
  eotId: number;
  /** At most this many generated tokens (default and largest: the context length of the text tower and the decoder). */
  maxLength?: number;
}

/**
 * For each image (N, 3, S, S): the generated ids after <start_of_text>, ending with
 * <end_of_text> when the model chose it within maxLength tokens.
 */
export function greedyCaption(model: CoCa, images: A.Input, options: GreedyOptions): number[][] {
  const vocab = model.config.text_cfg.vocab_size;
  // the last step reads a prefix of maxLength tokens (<start_of_text> and maxLength - 1 generated)
  const longest = Math.min(model.config.text_cfg.context_length, model.textDecoder.contextLength);
  const maxLength = options.maxLength ?? longest;
  for (const [name, id] of [["sotId", options.sotId], ["eotId", options.eotId]] as const) {
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new ModelError("greedyCaption", `${name} must be a token id in [0, ${vocab - 1}], got ${id}`);
  }
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > longest) {
    throw new ModelError("greedyCaption", `maxLength must be an integer from 1 to ${longest} (the longest prefix the text tower and the decoder read), got ${maxLength}`);
  }
  return A.noGrad(() => {
    const imageTokens = model.encodeImageWithTokens(images).tokens;
    const N = imageTokens.shape[0]!;
    const rows: number[][] = Array.from({ length: N }, () => [options.sotId]);
    const done = new Array<boolean>(N).fill(false);
    for (let step = 0; step < maxLength && done.includes(false); step++) {
      const T = step + 1;
      const prefix = new Tensor(Int32Array.from(rows.flat()), [N, T]);
      const last = A.select(model.decoderLogits(imageTokens, prefix), 1, T - 1).value; // (N, vocab)
      const scores = last.contiguousData();
      for (let n = 0; n < N; n++) {
        if (done[n]) {
          rows[n]!.push(model.padId);
          continue;
        }
        const next = argmax(scores, n * vocab, vocab);
        rows[n]!.push(next);
        if (next === options.eotId) done[n] = true;
      }
    }
    // drop <start_of_text> and the padding after a finished row's <end_of_text>
    return rows.map((row) => {
      const generated = row.slice(1);
      const end = generated.indexOf(options.eotId);
      return end < 0 ? generated : generated.slice(0, end + 1);
    });
  });
}

/** The first index of the largest value in data[offset, offset + n), as torch.argmax. */
function argmax(data: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (data[offset + i]! > data[offset + best]!) best = i;
  return best;
}
