/**
 * Decoding strategies over any next-token scorer: greedy, beam search, and top-k / top-p
 * sampling. They know nothing of CoCa: a `TokenScorer` gives the logits of the token after each
 * row's prefix (coca-generate.ts adapts CoCa's cached decoder; tests use hand-made tables).
 *
 * Every strategy starts each item from one row holding <start_of_text> and ends an item's
 * sequence at <end_of_text> (kept as its last id) or after `maxLength` generated ids.
 *
 *   greedy   next = argmax logits (the first index on ties, as torch.argmax)
 *   sample   logits / temperature -> keep the top k (top-k) -> keep the nucleus (top-p: the
 *            fewest most probable tokens whose probabilities sum to ≥ p) -> renormalise -> draw
 *            with the item's own Generator (so an item's caption does not depend on its batch)
 *   beam     keep the `beams` best sequences by score = Σ log p / lengthᵅ (α = lengthPenalty;
 *            1 by default, as open_clip's generate(), whose Hugging Face BeamSearchScorer
 *            defaults to length_penalty 1.0; α = 0 ranks by total log-probability). A sequence
 *            that ended stays in the set and competes with the growing ones; the search stops
 *            when every kept sequence has ended (or at maxLength), and returns the best. With
 *            one beam this is greedy decoding exactly.
 */

import { Generator, Tensor } from "@duet/tensor";
import { ModelError } from "./errors.js";

/** The logits of the next token after each row's prefix; rows can be dropped, reordered and repeated. */
export interface TokenScorer {
  readonly vocab: number;
  /** Appends tokens[r] to row r and returns the next-token logits, (rows × vocab) row-major. */
  step(tokens: Int32Array): ArrayLike<number>;
  /** Keeps rows `rows` (indices into the current rows, repeats allowed), in that order. */
  selectRows(rows: Int32Array): void;
}

export interface DecodeLimits {
  sotId: number;
  eotId: number;
  /** Generated ids at most (≥ 1). */
  maxLength: number;
}

export interface SamplingOptions {
  /** Keep the k most likely tokens (k ≥ 1); default: all. */
  topK?: number;
  /** Keep the nucleus of probability mass p, 0 < p ≤ 1; default 1 (all). */
  topP?: number;
  /** Logits are divided by it first (> 0); default 1. */
  temperature?: number;
}

/** The first index of the largest value in data[offset, offset + n), as torch.argmax. */
export function argmaxRow(data: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (data[offset + i]! > data[offset + best]!) best = i;
  return best;
}

/** log Σ exp over a row, stably. */
function logSumExp(data: ArrayLike<number>, offset: number, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, data[offset + i]!);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(data[offset + i]! - max);
  return max + Math.log(sum);
}

/** Runs one row per item until each ends; `choose(item, logits, offset)` picks the item's next id from its row of logits. Rows that end are dropped from the scorer. */
function decodeRows(scorer: TokenScorer, items: number, limits: DecodeLimits, choose: (item: number, logits: ArrayLike<number>, offset: number) => number): number[][] {
  const out: number[][] = Array.from({ length: items }, () => []);
  let live = Array.from({ length: items }, (_, i) => i); // the item of each scorer row
  let tokens = new Int32Array(items).fill(limits.sotId);
  const V = scorer.vocab;
  for (let step = 0; step < limits.maxLength && live.length > 0; step++) {
    const logits = scorer.step(tokens);
    const keep: number[] = [];
    const next: number[] = [];
    live.forEach((item, row) => {
      const id = choose(item, logits, row * V);
      out[item]!.push(id);
      if (id !== limits.eotId) {
        keep.push(row);
        next.push(id);
      }
    });
    if (step + 1 < limits.maxLength && keep.length > 0 && keep.length < live.length) scorer.selectRows(Int32Array.from(keep));
    live = keep.map((row) => live[row]!);
    tokens = Int32Array.from(next);
  }
  return out;
}

/** Greedy decoding of `items` sequences. */
export function greedyDecode(scorer: TokenScorer, items: number, limits: DecodeLimits): number[][] {
  return decodeRows(scorer, items, limits, (_, logits, offset) => argmaxRow(logits, offset, scorer.vocab));
}

/**
 * The tokens sampling may choose from a row of logits, with their probabilities (summing to 1):
 * temperature, then top-k, then top-p, as Hugging Face's warpers apply them. Ordered by
 * probability, most likely first (ties: the lower id first).
 */
export function samplingCandidates(logits: ArrayLike<number>, offset: number, n: number, options: SamplingOptions = {}): { ids: number[]; probs: number[] } {
  const temperature = options.temperature ?? 1;
  const ids = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[offset + b]! - logits[offset + a]! || a - b);
  let kept = options.topK === undefined ? ids : ids.slice(0, Math.min(options.topK, n));
  const top = logits[offset + kept[0]!]! / temperature;
  let weights = kept.map((id) => Math.exp(logits[offset + id]! / temperature - top));
  let total = weights.reduce((s, w) => s + w, 0);
  const p = options.topP ?? 1;
  if (p < 1) {
    // the fewest leading tokens whose probability reaches p (at least one)
    let mass = 0;
    let count = 0;
    while (count < kept.length && (count === 0 || mass < p * total)) mass += weights[count++]!;
    kept = kept.slice(0, count);
    weights = weights.slice(0, count);
    total = mass;
  }
  return { ids: kept, probs: weights.map((w) => w / total) };
}

/** Draws one token id from a row of logits (see samplingCandidates) with `generator`. */
export function sampleToken(logits: ArrayLike<number>, offset: number, n: number, options: SamplingOptions, generator: Generator): number {
  const { ids, probs } = samplingCandidates(logits, offset, n, options);
  const u = generator.nextDouble();
  let cumulative = 0;
  for (let i = 0; i < ids.length; i++) {
    cumulative += probs[i]!;
    if (u < cumulative) return ids[i]!;
  }
  return ids[ids.length - 1]!; // u within rounding of 1
}

/**
 * Top-k / top-p sampling; item i draws from its own stream, seeded from `seed` and firstItem + i
 * (so a caller decoding in batches passes each batch's first index, and an item's draws do not
 * depend on the batch it is in).
 */
export function sampleDecode(scorer: TokenScorer, items: number, limits: DecodeLimits, options: SamplingOptions & { seed?: number; firstItem?: number }): number[][] {
  const seed = options.seed ?? 0;
  const first = options.firstItem ?? 0;
  // Generator's SplitMix32 seeding makes nearby seeds unrelated streams
  const generators = Array.from({ length: items }, (_, i) => new Generator((seed + Math.imul(first + i + 1, 0x9e3779b1)) >>> 0));
  return decodeRows(scorer, items, limits, (item, logits, offset) => sampleToken(logits, offset, scorer.vocab, options, generators[item]!));
}

interface Beam {
  ids: number[];
  /** Σ log p of ids. */
  logProb: number;
  /** logProb / length^α. */
  score: number;
  ended: boolean;
  /** The scorer row it continues from (live beams). */
  row: number;
}

export interface BeamResult {
  ids: number[];
  /** Σ log p / length^α of the returned sequence. */
  score: number;
}

/** Beam search (see the file comment); one result per item. */
export function beamDecode(scorer: TokenScorer, items: number, limits: DecodeLimits, beams: number, lengthPenalty = 1): BeamResult[] {
  const V = scorer.vocab;
  const norm = (logProb: number, length: number) => logProb / length ** lengthPenalty;
  // kept[item]: the best `beams` sequences so far; live ones have a scorer row
  let kept: Beam[][] = Array.from({ length: items }, () => [{ ids: [], logProb: 0, score: 0, ended: false, row: 0 }]);
  kept.forEach((set, item) => (set[0]!.row = item));
  let tokens = new Int32Array(items).fill(limits.sotId);
  for (let step = 0; step < limits.maxLength && kept.some((set) => set.some((b) => !b.ended)); step++) {
    const rowsBefore = tokens.length;
    const logits = scorer.step(tokens);
    const length = step + 1;
    const last = length === limits.maxLength;
    kept = kept.map((set) => {
      const pool: Beam[] = set.filter((b) => b.ended);
      for (const beam of set) {
        if (beam.ended) continue;
        const offset = beam.row * V;
        const lse = logSumExp(logits, offset, V);
        // the `beams` best ids of this row are the most it can place in the kept set
        for (const id of topIds(logits, offset, V, beams)) {
          const logProb = beam.logProb + (logits[offset + id]! - lse);
          const ended = id === limits.eotId || last;
          pool.push({ ids: [...beam.ids, id], logProb, score: norm(logProb, length), ended, row: beam.row });
        }
      }
      // stable: ties keep the pool's order (ended first, then row, then id)
      return pool.sort((a, b) => b.score - a.score).slice(0, beams);
    });
    const parents: number[] = [];
    const next: number[] = [];
    for (const set of kept) {
      for (const beam of set) {
        if (beam.ended) continue;
        parents.push(beam.row);
        next.push(beam.ids[beam.ids.length - 1]!);
        beam.row = parents.length - 1;
      }
    }
    const unchanged = parents.length === rowsBefore && parents.every((parent, i) => parent === i);
    if (parents.length > 0 && !unchanged) scorer.selectRows(Int32Array.from(parents));
    tokens = Int32Array.from(next);
  }
  return kept.map((set) => ({ ids: set[0]!.ids, score: set[0]!.score }));
}

/** The k ids of the largest values of a row, largest first (ties: the lower id first). */
function topIds(data: ArrayLike<number>, offset: number, n: number, k: number): number[] {
  const best: number[] = [];
  for (let id = 0; id < n; id++) {
    const v = data[offset + id]!;
    if (best.length === k && !(v > data[offset + best[k - 1]!]!)) continue;
    let at = best.length === k ? k - 1 : best.length;
    best[at] = id;
    while (at > 0 && v > data[offset + best[at - 1]!]!) {
      best[at] = best[at - 1]!;
      best[--at] = id;
    }
  }
  return best;
}

/** Checks the decoding options' values; errors name the option. */
export function checkDecodeOptions(op: string, options: SamplingOptions & { beams?: number; lengthPenalty?: number; seed?: number; firstItem?: number }): void {
  const { beams, topK, topP, temperature, lengthPenalty, seed } = options;
  if (beams !== undefined && (!Number.isInteger(beams) || beams < 1)) throw new ModelError(op, `beams must be an integer ≥ 1, got ${beams}`);
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) throw new ModelError(op, `topK must be an integer ≥ 1, got ${topK}`);
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw new ModelError(op, `topP must be in (0, 1], got ${topP}`);
  if (temperature !== undefined && !(temperature > 0 && Number.isFinite(temperature))) throw new ModelError(op, `temperature must be a finite number > 0, got ${temperature}`);
  if (lengthPenalty !== undefined && !Number.isFinite(lengthPenalty)) throw new ModelError(op, `lengthPenalty must be a finite number, got ${lengthPenalty}`);
  if (seed !== undefined && !Number.isInteger(seed)) throw new ModelError(op, `seed must be an integer, got ${seed}`);
  if (options.firstItem !== undefined && !(Number.isInteger(options.firstItem) && options.firstItem >= 0)) throw new ModelError(op, `firstItem must be an integer ≥ 0, got ${options.firstItem}`);
  const sampling = topK !== undefined || topP !== undefined || temperature !== undefined;
  if (beams !== undefined && beams > 1 && sampling) throw new ModelError(op, `beams (${beams}) cannot be combined with topK, topP or temperature: beam search is deterministic; choose one strategy`);
}

/** Row indices as the int32 tensor indexSelect takes. */
export function rowIndex(rows: Int32Array): Tensor {
  return new Tensor(rows, [rows.length]);
}
