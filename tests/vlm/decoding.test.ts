/**
 * The decoding strategies (packages/vlm/src/model/decoding.ts) on hand-made scorers: beam search
 * against a brute-force enumeration of every sequence, a case worked by hand where greedy misses
 * the best caption, one beam = greedy, and top-k / top-p sampling's laws (fast-check): a sample
 * is always inside the nucleus (or the top k), and a seed reproduces it.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Generator } from "../../packages/tensor/src/index.js";
import { beamDecode, greedyDecode, sampleDecode, sampleToken, samplingCandidates, type TokenScorer } from "../../packages/vlm/src/index.js";

const EOT = 2;
const SOT = 3;

/** A scorer whose logits are a fixed function of each row's prefix. */
class TableScorer implements TokenScorer {
  readonly vocab: number;
  private rows: number[][] = [];
  steps = 0;
  constructor(private readonly table: (prefix: readonly number[]) => number[], vocab: number, items: number) {
    this.vocab = vocab;
    this.rows = Array.from({ length: items }, () => []);
  }
  step(tokens: Int32Array): ArrayLike<number> {
    this.steps++;
    expect(tokens.length).toBe(this.rows.length);
    this.rows.forEach((row, r) => row.push(tokens[r]!));
    return Float64Array.from(this.rows.flatMap((row) => this.table(row)));
  }
  selectRows(rows: Int32Array): void {
    this.rows = Array.from(rows, (r) => [...this.rows[r]!]);
  }
}

/** Pseudo-random logits (4 ids: 0, 1, EOT, SOT) seeded by the prefix. */
function randomTable(seed: number): (prefix: readonly number[]) => number[] {
  return (prefix) => {
    const g = new Generator(prefix.reduce((h, id) => (h * 31 + id + 1) | 0, seed));
    return [0, 1, 2, 3].map(() => 3 * g.nextNormal());
  };
}

function logSoftmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const lse = max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0));
  return logits.map((x) => x - lse);
}

/** Every sequence beam search may return: ended by EOT within maxLength, or cut at maxLength; the best by Σ log p / length^α. */
function bruteForce(table: (prefix: readonly number[]) => number[], maxLength: number, alpha: number): { ids: number[]; score: number } {
  let best = { ids: [] as number[], score: -Infinity };
  const walk = (ids: number[], logProb: number) => {
    const logp = logSoftmax(table([SOT, ...ids]));
    for (let id = 0; id < logp.length; id++) {
      const next = [...ids, id];
      const total = logProb + logp[id]!;
      if (id === EOT || next.length === maxLength) {
        const score = total / next.length ** alpha;
        if (score > best.score) best = { ids: next, score };
      } else walk(next, total);
    }
  };
  walk([], 0);
  return best;
}

describe("beam search", () => {
  it("with beams enough to keep every sequence, returns the brute-force best (α = 0, 0.5, 1)", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const alpha of [0, 0.5, 1]) {
        const table = randomTable(seed);
        const expected = bruteForce(table, 3, alpha);
        const [got] = beamDecode(new TableScorer(table, 4, 1), 1, { sotId: SOT, eotId: EOT, maxLength: 3 }, 64, alpha);
        expect(got!.ids, `seed ${seed} α ${alpha}`).toEqual(expected.ids);
        expect(got!.score).toBeCloseTo(expected.score, 12);
      }
    }
  });

  it("finds the caption greedy misses, in a case worked by hand", () => {
    // ids a = 0, b = 1, EOT = 2. First token: a 0.5, b 0.4, EOT 0.1. After a: EOT 0.4, a 0.3, b 0.3; after b: EOT 0.9.
    // greedy: a, then EOT: p = 0.5 · 0.4 = 0.20. Best: b, EOT: p = 0.4 · 0.9 = 0.36.
    const probs = (prefix: readonly number[]): number[] => {
      const last = prefix[prefix.length - 1];
      const p = last === SOT ? [0.5, 0.4, 0.1, 0] : last === 0 ? [0.3, 0.3, 0.4, 0] : [0.05, 0.05, 0.9, 0];
      return p.map(Math.log);
    };
    const limits = { sotId: SOT, eotId: EOT, maxLength: 2 };
    expect(greedyDecode(new TableScorer(probs, 4, 1), 1, limits)).toEqual([[0, 2]]);
    const [two] = beamDecode(new TableScorer(probs, 4, 1), 1, limits, 2, 0);
    expect(two!.ids).toEqual([1, 2]);
    expect(two!.score).toBeCloseTo(Math.log(0.36), 12);
    // length-normalised, both have length 2: the same answer, score ln(0.36) / 2
    expect(beamDecode(new TableScorer(probs, 4, 1), 1, limits, 2, 1)[0]!.score).toBeCloseTo(Math.log(0.36) / 2, 12);
  });

  it("with one beam is greedy decoding, for every α, several items at once", () => {
    for (const seed of [7, 8, 9]) {
      const table = randomTable(seed);
      const limits = { sotId: SOT, eotId: EOT, maxLength: 6 };
      const greedy = greedyDecode(new TableScorer(table, 4, 3), 3, limits);
      for (const alpha of [0, 1]) expect(beamDecode(new TableScorer(table, 4, 3), 3, limits, 1, alpha).map((r) => r.ids)).toEqual(greedy);
    }
  });

  it("stops when every kept sequence has ended, and at maxLength", () => {
    const alwaysEnd = () => [0, 0, 5, 0];
    const scorer = new TableScorer(alwaysEnd, 4, 2);
    expect(beamDecode(scorer, 2, { sotId: SOT, eotId: EOT, maxLength: 10 }, 3).map((r) => r.ids)).toEqual([[2], [2]]);
    const neverEnd = () => [5, 0, -5, 0];
    const cut = new TableScorer(neverEnd, 4, 1);
    expect(beamDecode(cut, 1, { sotId: SOT, eotId: EOT, maxLength: 4 }, 2)[0]!.ids).toEqual([0, 0, 0, 0]);
    expect(cut.steps).toBe(4);
  });
});

/**
 * The nucleus computed plainly: softmax, ids by logit (largest first, ties: lower id; ordering by
 * logit breaks the ties of probabilities that round equal), the fewest leading ids whose
 * probabilities reach p.
 */
function naiveNucleus(logits: readonly number[], p: number): Set<number> {
  const probs = logSoftmax(logits).map(Math.exp);
  const order = probs.map((_, i) => i).sort((a, b) => (logits[b]! > logits[a]! ? 1 : logits[b]! < logits[a]! ? -1 : a - b));
  const kept = new Set<number>();
  let mass = 0;
  for (const id of order) {
    kept.add(id);
    mass += probs[id]!;
    if (mass >= p) break;
  }
  return kept;
}

const logitsArb = fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: 1, maxLength: 30 });

describe("top-k and top-p sampling", () => {
  it("a top-p sample is always inside the nucleus, and the same seed draws the same tokens", () => {
    fc.assert(
      fc.property(logitsArb, fc.double({ min: 0.01, max: 1, noNaN: true }), fc.integer(), (logits, p, seed) => {
        const nucleus = naiveNucleus(logits, p);
        const data = Float64Array.from(logits);
        const a = new Generator(seed);
        const b = new Generator(seed);
        for (let draw = 0; draw < 20; draw++) {
          const id = sampleToken(data, 0, data.length, { topP: p }, a);
          if (!nucleus.has(id)) throw new Error(`drew ${id} outside the nucleus {${[...nucleus]}} of p ${p}, logits [${logits}]`);
          expect(sampleToken(data, 0, data.length, { topP: p }, b)).toBe(id);
        }
      }),
      { seed: 16, numRuns: 200 },
    );
  });

  it("a top-k sample is one of the k largest logits, and top-k 1 is the argmax", () => {
    fc.assert(
      fc.property(logitsArb, fc.integer({ min: 1, max: 5 }), fc.integer(), (logits, k, seed) => {
        const data = Float64Array.from(logits);
        const kth = [...logits].sort((x, y) => y - x)[Math.min(k, logits.length) - 1]!;
        const g = new Generator(seed);
        for (let draw = 0; draw < 10; draw++) expect(logits[sampleToken(data, 0, data.length, { topK: k }, g)]!).toBeGreaterThanOrEqual(kth);
        expect(sampleToken(data, 0, data.length, { topK: 1 }, g)).toBe(logits.indexOf(Math.max(...logits)));
      }),
      { seed: 17, numRuns: 200 },
    );
  });

  it("the candidates' probabilities sum to 1, most likely first", () => {
    const { ids, probs } = samplingCandidates(Float64Array.from([0, 2, 1, 2]), 0, 4, { topK: 3, topP: 0.9 });
    expect(ids).toEqual([1, 3, 2]);
    expect(probs.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 14);
    expect(samplingCandidates(Float64Array.from([0, 2, 1, 2]), 0, 4, { topP: 0.5 }).ids).toEqual([1, 3]);
  });

  it("sampleDecode: reproducible by seed, and an item's sequence does not depend on the others", () => {
    const table = randomTable(11);
    const limits = { sotId: SOT, eotId: EOT, maxLength: 8 };
    const run = (items: number, seed: number) => sampleDecode(new TableScorer(table, 4, items), items, limits, { topP: 0.95, temperature: 2, seed });
    const first = run(4, 5);
    expect(run(4, 5)).toEqual(first);
    expect(run(2, 5)).toEqual(first.slice(0, 2));
    expect(sampleDecode(new TableScorer(table, 4, 2), 2, limits, { topP: 0.95, temperature: 2, seed: 5, firstItem: 2 })).toEqual(first.slice(2));
    const others = [6, 7, 8, 9].map((seed) => run(4, seed));
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(first))).toBe(true);
    expect(sampleDecode(new TableScorer(table, 4, 3), 3, limits, { topK: 1, seed: 3 })).toEqual(greedyDecode(new TableScorer(table, 4, 3), 3, limits));
  });
});
