/**
 * The seeded PRNG (random.ts): xoshiro128** seeded by SplitMix32.
 *
 * Reproducibility is the point of a seeded generator, so the first outputs are pinned as
 * literals. The literals are not trusted on their own: a reference implementation written
 * here from the published algorithm (in BigInt arithmetic, sharing no code with random.ts)
 * must produce them too, and the raw generator must match a test vector produced by the
 * authors' C code.
 */

import { describe, expect, it } from "vitest";
import { Generator, defaultGenerator, manualSeed, randn } from "../../packages/tensor/src/index.js";

// ---- an independent reference ------------------------------------------------------

const MASK32 = 0xffffffffn;
const u32 = (x: bigint) => x & MASK32;
const rotl = (x: bigint, k: bigint) => u32((x << k) | (x >> (32n - k)));

/**
 * xoshiro128** 1.1 (Blackman & Vigna 2018, prng.di.unimi.it/xoshiro128starstar.c), seeded
 * as random.ts documents: four SplitMix32 outputs (increment 0x9e3779b9, multipliers
 * 0x85ebca6b and 0xc2b2ae35, shifts 16/13/16) from the seed taken mod 2^32.
 */
class ReferenceXoshiro {
  private s: bigint[];
  constructor(state: readonly number[]) {
    this.s = state.map((v) => BigInt(v >>> 0));
  }

  static seeded(seed: number): ReferenceXoshiro {
    let x = BigInt(seed >>> 0);
    const splitmix32 = (): number => {
      x = u32(x + 0x9e3779b9n);
      let z = x;
      z = u32((z ^ (z >> 16n)) * 0x85ebca6bn);
      z = u32((z ^ (z >> 13n)) * 0xc2b2ae35n);
      return Number(z ^ (z >> 16n));
    };
    const state = [splitmix32(), splitmix32(), splitmix32(), splitmix32()];
    if (!state.some((v) => v !== 0)) state[0] = 1; // the all-zero state is a fixed point
    return new ReferenceXoshiro(state);
  }

  nextUint32(): number {
    const s = this.s;
    const result = u32(rotl(u32(s[1]! * 5n), 7n) * 9n);
    const t = u32(s[1]! << 9n);
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
    return Number(result);
  }

  /** The top 24 bits, scaled into [0, 1). */
  nextFloat(): number {
    return Math.floor(this.nextUint32() / 256) / 2 ** 24;
  }

  /** 27 bits of one output and 26 of the next: 53 bits in [0, 1). */
  nextDouble(): number {
    const hi = Math.floor(this.nextUint32() / 32);
    const lo = Math.floor(this.nextUint32() / 64);
    return (hi * 2 ** 26 + lo) / 2 ** 53;
  }

  /** Box–Muller on (1 - u1, u2): the pair is (r cos θ, r sin θ). */
  nextNormalPair(): [number, number] {
    const u1 = 1 - this.nextDouble();
    const u2 = this.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u1));
    return [r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2)];
  }
}

/**
 * A generator state whose next raw outputs are `first` and then `second`, found by
 * inverting the ** scrambler: result = rotl(s1 * 5, 7) * 9 (mod 2^32), and with s0 = 0
 * the next step's s1 is s1 ^ s2.
 */
function stateWithOutputs(first: number, second = 0): number[] {
  const inverse9 = 0x38e38e39; // 9 * 0x38e38e39 = 2 * 2^32 + 1
  const inverse5 = 0xcccccccd; // 5 * 0xcccccccd = 4 * 2^32 + 1
  const s1For = (output: number) => {
    const y = Math.imul(output, inverse9) >>> 0;
    const x = ((y >>> 7) | (y << 25)) >>> 0; // rotr 7
    return Math.imul(x, inverse5) >>> 0;
  };
  const a = s1For(first);
  const b = s1For(second);
  return [0, a, (a ^ b) >>> 0, 0, Number.NaN];
}

const take = <T>(n: number, next: () => T): T[] => Array.from({ length: n }, next);

// ---- pinned snapshots --------------------------------------------------------------

describe("Generator: pinned outputs (the same on every machine)", () => {
  const SEED0_UINT32 = [3809008728, 1133695204, 53579671, 2891528803, 139681546, 2203266335, 104831812, 1587294886];
  const SEED42_FLOAT = [
    0.6606156826019287, 0.12688004970550537, 0.11170190572738647, 0.8149393796920776, 0.07910561561584473, 0.026350200176239014,
    0.015209197998046875, 0.2589688301086426,
  ];
  const SEED1234_RANDN = [-0.44705262780189514, 0.9957396984100342, -0.07739679515361786, -0.7925323247909546];

  it("matches the xoshiro128** test vector produced by the authors' C code", () => {
    // from edorfaus/xoshiro-6502 test-rom/testdata.asm, generated with the C reference implementation:
    // the state after each step, and the ** output of each step
    const states = [
      [0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0],
      [0x72410269, 0xef382c52, 0x2e43bec7, 0x62432f20],
      [0xff3a011b, 0xb33a90fc, 0x2c5a18ae, 0xd81b946b],
      [0x941b058c, 0x605a8949, 0xa641e1b5, 0x0824bb59],
      [0xfc65379c, 0x52006d70, 0x87487639, 0xf1908343],
    ];
    const outputs = [0xf1391922, 0x6fe53806, 0xa5be2840, 0xf510ee70];
    const g = new Generator();
    g.setState([...states[0]!, Number.NaN]);
    const reference = new ReferenceXoshiro(states[0]!);
    for (let i = 0; i < outputs.length; i++) {
      const got = g.nextUint32();
      expect(got, `step ${i}: got 0x${got.toString(16)}, expected 0x${outputs[i]!.toString(16)}`).toBe(outputs[i]);
      expect(reference.nextUint32(), `reference step ${i}`).toBe(outputs[i]);
      expect(g.getState().slice(0, 4), `state after step ${i}`).toEqual(states[i + 1]);
    }
  });

  it("new Generator(0).nextUint32(): first 8 outputs", () => {
    const g = new Generator(0);
    expect(take(8, () => g.nextUint32())).toEqual(SEED0_UINT32);
    const reference = ReferenceXoshiro.seeded(0);
    expect(take(8, () => reference.nextUint32()), "reference implementation").toEqual(SEED0_UINT32);
  });

  it("new Generator(42).nextFloat(): first 8 outputs", () => {
    const g = new Generator(42);
    expect(take(8, () => g.nextFloat())).toEqual(SEED42_FLOAT);
    const reference = ReferenceXoshiro.seeded(42);
    expect(take(8, () => reference.nextFloat()), "reference implementation").toEqual(SEED42_FLOAT);
  });

  it("randn([4], { generator: new Generator(1234) }): two Box–Muller pairs, rounded to float32", () => {
    const t = randn([4], { generator: new Generator(1234) });
    expect(t.dtype).toBe("float32");
    expect(Array.from(t.data)).toEqual(SEED1234_RANDN);
    const reference = ReferenceXoshiro.seeded(1234);
    const expected = [...reference.nextNormalPair(), ...reference.nextNormalPair()].map(Math.fround);
    expect(expected, "reference implementation").toEqual(SEED1234_RANDN);
  });
});

// ---- seeding -----------------------------------------------------------------------

describe("Generator: seeding", () => {
  it("the same seed gives identical streams and tensors", () => {
    const a = new Generator(7);
    const b = new Generator(7);
    expect(take(100, () => a.nextUint32())).toEqual(take(100, () => b.nextUint32()));
    const x = randn([3, 5], { generator: new Generator(99), dtype: "float64" });
    const y = randn([3, 5], { generator: new Generator(99), dtype: "float64" });
    expect(Array.from(x.data)).toEqual(Array.from(y.data));
  });

  it("different seeds give different streams (even neighbouring seeds)", () => {
    const firsts = new Set<string>();
    for (let seed = 0; seed < 1000; seed++) {
      const g = new Generator(seed);
      firsts.add(take(2, () => g.nextUint32()).join(","));
    }
    expect(firsts.size).toBe(1000);
    const x = Array.from(randn([8], { generator: new Generator(1) }).data);
    const y = Array.from(randn([8], { generator: new Generator(2) }).data);
    expect(x).not.toEqual(y);
  });

  it("the seed is taken mod 2^32, so -1 and 2^32 - 1 name the same stream", () => {
    const a = new Generator(-1);
    const b = new Generator(2 ** 32 - 1);
    expect(take(4, () => a.nextUint32())).toEqual(take(4, () => b.nextUint32()));
  });

  it("seed() restarts the stream and forgets a cached spare normal", () => {
    const g = new Generator(3);
    const first = take(3, () => g.nextNormal());
    g.nextNormal(); // leaves no spare; the next call would compute a new pair
    g.nextNormal(); // leaves a spare
    g.seed(3);
    expect(take(3, () => g.nextNormal())).toEqual(first);
  });

  it("rejects a non-integer seed", () => {
    expect(() => new Generator(1.5)).toThrow("Generator.seed: seed must be an integer, got 1.5");
    expect(() => new Generator(Number.NaN)).toThrow("Generator.seed: seed must be an integer, got NaN");
    expect(() => new Generator(0).seed(Number.POSITIVE_INFINITY)).toThrow("Generator.seed: seed must be an integer, got Infinity");
  });

  it("manualSeed resets the default generator, which creation functions use without a generator", () => {
    manualSeed(5);
    const first = take(4, () => defaultGenerator.nextUint32());
    manualSeed(5);
    expect(take(4, () => defaultGenerator.nextUint32())).toEqual(first);
    const fresh = new Generator(5);
    expect(first).toEqual(take(4, () => fresh.nextUint32()));

    manualSeed(11);
    defaultGenerator.nextNormal(); // caches a spare
    manualSeed(11); // ... which the reseed must drop
    const fromDefault = Array.from(randn([6]).data);
    expect(fromDefault).toEqual(Array.from(randn([6], { generator: new Generator(11) }).data));
  });
});

// ---- state ---------------------------------------------------------------------------

describe("Generator: getState / setState", () => {
  it("round-trips and continues the same stream", () => {
    const g = new Generator(21);
    take(10, () => g.nextUint32());
    const state = g.getState();
    const expected = take(20, () => g.nextUint32());
    const h = new Generator(999);
    h.setState(state);
    expect(take(20, () => h.nextUint32())).toEqual(expected);
  });

  it("carries the cached spare normal, so a restored stream gives the same next normal", () => {
    const g = new Generator(8);
    g.nextNormal(); // the pair's second value is now cached
    const state = g.getState();
    expect(state).toHaveLength(5);
    expect(Number.isNaN(state[4])).toBe(false);
    const expected = [...take(5, () => g.nextNormal()), g.nextUint32()];
    const h = new Generator(0);
    h.setState(state);
    expect([...take(5, () => h.nextNormal()), h.nextUint32()]).toEqual(expected);
  });

  it("NaN in the fifth slot means no spare is cached", () => {
    const g = new Generator(8);
    expect(Number.isNaN(g.getState()[4])).toBe(true);
    g.nextNormal();
    g.nextNormal(); // consumes the spare
    expect(Number.isNaN(g.getState()[4])).toBe(true);
  });

  it("state words are unsigned 32-bit integers, and the returned array is a copy", () => {
    const g = new Generator(77);
    const state = g.getState();
    for (const word of state.slice(0, 4)) {
      expect(Number.isInteger(word) && word >= 0 && word < 2 ** 32, `state word ${word}`).toBe(true);
    }
    const saved = [...state];
    state.fill(0); // scribbling on the returned array must not reach the generator
    expect(g.getState()).toEqual(saved);
  });

  it("rejects a state of the wrong length", () => {
    expect(() => new Generator().setState([1, 2, 3, 4])).toThrow("Generator.setState: expected 5 numbers, got 4");
    expect(() => new Generator().setState([])).toThrow("Generator.setState: expected 5 numbers, got 0");
  });

  it("the spare normal carries over between tensor calls on one generator", () => {
    const g = new Generator(31);
    const one = [...randn([1], { generator: g, dtype: "float64" }).data, ...randn([3], { generator: g, dtype: "float64" }).data];
    const all = Array.from(randn([4], { generator: new Generator(31), dtype: "float64" }).data);
    expect(one).toEqual(all);
  });
});

// ---- distributions -------------------------------------------------------------------

describe("Generator: output ranges and resolution", () => {
  it("nextFloat is a multiple of 2^-24 in [0, 1), exactly representable in float32", () => {
    const g = new Generator(13);
    for (let i = 0; i < 20_000; i++) {
      const v = g.nextFloat();
      if (!(v >= 0 && v < 1 && Number.isInteger(v * 2 ** 24) && Math.fround(v) === v)) {
        expect.fail(`draw ${i}: nextFloat gave ${v}, not a multiple of 2^-24 in [0, 1)`);
      }
    }
  });

  it("nextFloat reaches exactly 0 and 1 - 2^-24 at the extreme raw outputs, never 1", () => {
    const g = new Generator();
    g.setState(stateWithOutputs(0));
    expect(g.nextFloat()).toBe(0);
    g.setState(stateWithOutputs(0xffffffff));
    expect(g.nextFloat()).toBe(1 - 2 ** -24);
  });

  it("nextDouble is a multiple of 2^-53 in [0, 1)", () => {
    const g = new Generator(14);
    for (let i = 0; i < 20_000; i++) {
      const v = g.nextDouble();
      if (!(v >= 0 && v < 1 && Number.isInteger(v * 2 ** 53))) expect.fail(`draw ${i}: nextDouble gave ${v}, not a multiple of 2^-53 in [0, 1)`);
    }
  });

  it("nextDouble spans [0, 1 - 2^-53]: 27 bits from one output, 26 from the next", () => {
    const g = new Generator();
    g.setState(stateWithOutputs(0xffffffff, 0xffffffff));
    expect(g.nextDouble()).toBe(1 - 2 ** -53);
    g.setState(stateWithOutputs(0, 0));
    expect(g.nextDouble()).toBe(0);
    g.setState(stateWithOutputs(0x00000020, 0x00000040)); // lowest bit kept of each
    expect(g.nextDouble()).toBe(2 ** 26 * 2 ** -53 + 2 ** -53);
  });

  it("nextNormal stays finite at the extremes: u1 = 1 - u never reaches 0", () => {
    const g = new Generator();
    g.setState(stateWithOutputs(0xffffffff, 0xffffffff)); // first double 1 - 2^-53, so u1 = 2^-53
    const z0 = g.nextNormal();
    const z1 = g.nextNormal();
    const radius = Math.sqrt(-2 * Math.log(2 ** -53)); // ≈ 8.57, the largest radius there is
    expect(Number.isFinite(z0) && Number.isFinite(z1)).toBe(true);
    expect(Math.abs(Math.hypot(z0, z1) - radius), `|(${z0}, ${z1})| vs ${radius}`).toBeLessThan(1e-12);
    g.setState(stateWithOutputs(0, 0)); // first double 0, so u1 = 1 and the radius is 0
    expect(Math.abs(g.nextNormal())).toBe(0);
  });

  it("nextInt(n) stays in [0, n) for small, odd and huge n", () => {
    const g = new Generator(15);
    for (const n of [1, 2, 3, 6, 7, 1000, 2 ** 31 + 1, 2 ** 32]) {
      for (let i = 0; i < 2000; i++) {
        const k = g.nextInt(n);
        if (!(Number.isInteger(k) && k >= 0 && k < n)) expect.fail(`nextInt(${n}) gave ${k}`);
      }
    }
  });

  it("nextInt(6) is roughly uniform: chi-square over 60k draws is far below a loose bound", () => {
    const g = new Generator(16);
    const counts = new Array<number>(6).fill(0);
    const draws = 60_000;
    for (let i = 0; i < draws; i++) counts[g.nextInt(6)]!++;
    const expected = draws / 6;
    const chiSquare = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    // 5 degrees of freedom: P(chi2 > 20.5) = 0.001; 30 leaves room and still catches a real bias
    expect(chiSquare, `counts ${counts.join(", ")}, expected ${expected} each, chi2 ${chiSquare.toFixed(2)} (bound 30)`).toBeLessThan(30);
  });

  it("nextInt rejects the raw outputs past the last whole multiple of n (no modulo bias)", () => {
    // n = 3: 2^32 % 3 = 1, so the single output 0xffffffff is rejected and the next one used
    const g = new Generator();
    const state = stateWithOutputs(0xffffffff, 1234567);
    g.setState(state);
    expect(g.nextInt(3)).toBe(1234567 % 3);
    // a power of two divides 2^32: nothing is rejected
    g.setState(state);
    expect(g.nextInt(4)).toBe(0xffffffff % 4);
  });

  it("nextInt rejects n that is not an integer in [1, 2^32]", () => {
    const g = new Generator();
    expect(() => g.nextInt(0)).toThrow("Generator.nextInt: n must be an integer in [1, 2^32], got 0");
    expect(() => g.nextInt(-3)).toThrow("Generator.nextInt: n must be an integer in [1, 2^32], got -3");
    expect(() => g.nextInt(2.5)).toThrow("Generator.nextInt: n must be an integer in [1, 2^32], got 2.5");
    expect(() => g.nextInt(2 ** 32 + 1)).toThrow("Generator.nextInt: n must be an integer in [1, 2^32], got 4294967297");
  });
});
