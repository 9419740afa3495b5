/**
 * The loader's laws: a seed fixes every batch; each epoch visits every sample once in a new
 * order; a saved position resumes exactly the remaining sequence; prefetch and timing change
 * nothing; errors reach the caller that asked for the failing batch.
 */

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  arrayDataset,
  captionDataset,
  DataError,
  DataLoader,
  evalImageLoader,
  readCaptions,
  trainImageLoader,
  type Dataset,
  type LoaderPosition,
  type SampleContext,
} from "../../packages/vlm/src/data/index.js";
import { FIXTURES } from "./data-helpers.js";

/** A sample records its index and one draw of its own generator, so sample-level randomness is checked too. */
const tagged: Dataset<string> = {
  length: 10,
  get: (index, context: SampleContext) => `${index}:${context.generator.nextUint32()}`,
};

async function take<B>(loader: DataLoader<string, B>, n: number): Promise<{ data: B; epoch: number; next: LoaderPosition }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const { data, epoch, next } = await loader.next();
    out.push({ data, epoch, next });
  }
  return out;
}

const ids = (batch: readonly string[]) => batch.map((s) => Number(s.split(":")[0]));

describe("DataLoader", () => {
  it("the same seed gives the same batches; another seed another order", async () => {
    const a = await take(new DataLoader(tagged, { batchSize: 3, seed: 5 }), 12);
    const b = await take(new DataLoader(tagged, { batchSize: 3, seed: 5 }), 12);
    const c = await take(new DataLoader(tagged, { batchSize: 3, seed: 6 }), 12);
    expect(b).toEqual(a);
    expect(c.map((x) => x.data)).not.toEqual(a.map((x) => x.data));
  });

  it("each epoch is a permutation, reshuffled per epoch; the last batch is partial without dropLast", async () => {
    const loader = new DataLoader(tagged, { batchSize: 4, seed: 1 });
    expect(loader.batchesPerEpoch).toBe(3);
    const batches = await take(loader, 9);
    expect(batches.map((b) => b.data.length)).toEqual([4, 4, 2, 4, 4, 2, 4, 4, 2]);
    expect(batches.map((b) => b.epoch)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    const epochs = [0, 1, 2].map((e) => batches.slice(3 * e, 3 * e + 3).flatMap((b) => ids(b.data)));
    for (const order of epochs) expect([...order].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epochs[1]).not.toEqual(epochs[0]);
    expect(epochs[2]).not.toEqual(epochs[1]);
    expect(Array.from(loader.order(1))).toEqual(epochs[1]);
  });

  it("dropLast skips the partial batch; shuffle: false keeps the dataset's order", async () => {
    const dropping = new DataLoader(tagged, { batchSize: 4, dropLast: true, shuffle: false });
    expect(dropping.batchesPerEpoch).toBe(2);
    const batches = await take(dropping, 4);
    expect(batches.map((b) => ids(b.data))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(batches.map((b) => b.next)).toEqual([{ epoch: 0, index: 4 }, { epoch: 1, index: 0 }, { epoch: 1, index: 4 }, { epoch: 2, index: 0 }]);
  });

  it("resuming from any saved position gives exactly the remaining sequence", async () => {
    const options = { batchSize: 3, seed: 42, dropLast: true };
    const full = await take(new DataLoader(tagged, options), 14);
    for (let k = 0; k < 13; k++) {
      const saved = JSON.parse(JSON.stringify(full[k]!.next)) as LoaderPosition; // as a checkpoint stores it
      const resumed = new DataLoader(tagged, options);
      resumed.restore(saved);
      expect(resumed.position).toEqual(saved);
      expect(await take(resumed, 14 - k - 1)).toEqual(full.slice(k + 1));
    }
  });

  it("resuming with another batch size continues the same sample order", async () => {
    const first = new DataLoader(tagged, { batchSize: 4, seed: 3 });
    const [one] = await take(first, 1);
    const second = new DataLoader(tagged, { batchSize: 3, seed: 3 });
    second.restore(one!.next);
    const rest = await take(second, 2);
    const straight = await take(new DataLoader(tagged, { batchSize: 10, seed: 3 }), 1);
    expect([...one!.data, ...rest[0]!.data, ...rest[1]!.data]).toEqual(straight[0]!.data);
  });

  it("prefetch depth and random delays change nothing", async () => {
    let calls = 0;
    const slow: Dataset<string> = {
      length: 10,
      get: async (index, context) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
        return `${index}:${context.generator.nextUint32()}`;
      },
    };
    const reference = await take(new DataLoader(tagged, { batchSize: 3, seed: 9, prefetch: 0 }), 8);
    for (const prefetch of [0, 1, 3]) {
      const loader = new DataLoader(slow, { batchSize: 3, seed: 9, prefetch, augment: async (s) => s });
      expect(await take(loader, 8)).toEqual(reference);
    }
    expect(calls).toBeGreaterThan(0);
  });

  it("prefetch loads ahead: asking for batch k starts batches k+1 .. k+prefetch", async () => {
    const requested: number[] = [];
    const spy: Dataset<number> = { length: 8, get: (index) => (requested.push(index), index) };
    const loader = new DataLoader(spy, { batchSize: 2, shuffle: false, prefetch: 2 });
    await loader.next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(requested.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("augment and collate see the sample's context; augmentation is deterministic per position", async () => {
    const seen: [number, number][] = [];
    const make = () =>
      new DataLoader(arrayDataset(["a", "b", "c", "d", "e"]), {
        batchSize: 2,
        seed: 11,
        augment: (s, context) => {
          seen.push([context.epoch, context.position]);
          return `${s}${context.generator.nextInt(1000)}`;
        },
        collate: (samples) => samples.join("|"),
      });
    const first = await take(make(), 6);
    expect(await take(make(), 6)).toEqual(first);
    expect(typeof first[0]!.data).toBe("string");
    expect(seen.filter(([epoch]) => epoch === 0).map(([, p]) => p).sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it("epoch() yields the rest of the current epoch", async () => {
    const loader = new DataLoader(tagged, { batchSize: 4, seed: 2 });
    const all = [];
    for await (const batch of loader.epoch()) all.push(batch);
    expect(all.length).toBe(3);
    expect(loader.position).toEqual({ epoch: 1, index: 0 });
    await loader.next();
    const rest = [];
    for await (const batch of loader.epoch()) rest.push(batch);
    expect(rest.length).toBe(2);
  });

  it("a failing sample rejects the batch that holds it, even when it was prefetched", async () => {
    const failing: Dataset<number> = {
      length: 6,
      get: (index) => {
        if (index === 3) throw new Error("cannot decode sample 3");
        return index;
      },
    };
    const loader = new DataLoader(failing, { batchSize: 2, shuffle: false, prefetch: 2 });
    expect((await loader.next()).data).toEqual([0, 1]);
    await new Promise((resolve) => setTimeout(resolve, 5)); // the prefetched batch has failed by now
    await expect(loader.next()).rejects.toThrow("cannot decode sample 3");
    expect((await loader.next()).data).toEqual([4, 5]);
  });

  it("errors: empty dataset, bad options, a position out of range", () => {
    expect(() => new DataLoader(arrayDataset([]), { batchSize: 2 })).toThrow(/DataLoader: the dataset is empty/);
    expect(() => new DataLoader(tagged, { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => new DataLoader(tagged, { batchSize: 2, seed: 0.5 })).toThrow(/seed must be an integer/);
    expect(() => new DataLoader(tagged, { batchSize: 2, prefetch: -1 })).toThrow(/prefetch must be a non-negative integer/);
    expect(() => new DataLoader(tagged, { batchSize: 11, dropLast: true })).toThrow(/batchSize 11 is larger than the dataset \(10 samples\) and dropLast is set/);
    const loader = new DataLoader(tagged, { batchSize: 2 });
    expect(() => loader.restore({ epoch: 0, index: 11 })).toThrow(DataError);
    expect(() => loader.restore({ epoch: -1, index: 0 })).toThrow(/need integers with epoch >= 0 and 0 <= index <= 10/);
    loader.restore({ epoch: 2, index: 10 });
    expect(loader.position).toEqual({ epoch: 3, index: 0 });
  });
});

describe("manifest datasets with the image pipeline", () => {
  const { records } = readCaptions(join(FIXTURES, "captions", "captions.csv"));

  it("evalImageLoader: decode, resize, centre-crop, normalise to [3, size, size]", async () => {
    const loader = new DataLoader(captionDataset(records, evalImageLoader(4)), { batchSize: 3, shuffle: false });
    const { data } = await loader.next();
    expect(data.map((s) => s.text)).toEqual(["a red square, bright", 'a green "tall" rectangle', "a blue\nsquare"]);
    expect(data.map((s) => s.image.shape)).toEqual([[3, 4, 4], [3, 4, 4], [3, 4, 4]]);
    // The red square is red: its R plane is above the mean, its G plane below.
    const red = data[0]!.image.contiguousData();
    expect(red[0]!).toBeGreaterThan(0);
    expect(red[16]!).toBeLessThan(0);
  });

  it("trainImageLoader crops from the sample's generator: deterministic for a seed", async () => {
    const run = async () => {
      const loader = new DataLoader(captionDataset(records, trainImageLoader(4, { scale: [0.3, 0.6] })), { batchSize: 3, seed: 4 });
      const { data } = await loader.next();
      return data.map((s) => Array.from(s.image.contiguousData()));
    };
    expect(await run()).toEqual(await run());
  });
});
