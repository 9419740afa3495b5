/**
 * The data loader: seeded shuffling, batching, an augmentation hook and prefetch, with a
 * position that can be saved and restored exactly.
 *
 * Determinism. The order of epoch e is a permutation drawn from Generator(hash(seed, e)); the
 * sample at position p of epoch e gets its own Generator(hash(seed, e, p)) for augmentation and
 * caption sampling (see seeds.ts). A batch is therefore a pure function of (seed, epoch, start
 * position): restoring a saved position replays exactly the remaining sequence, and prefetching
 * cannot change any result, however long anything takes.
 *
 * Position. `{epoch, index}`: the next batch starts at `index` in epoch `epoch`'s order. It is
 * kept canonical — once the rest of an epoch cannot make a batch (none left, or fewer than a
 * batch with `dropLast`), the position is `{epoch + 1, index: 0}`.
 *
 * Prefetch. Asking for batch k starts loading batches k+1 .. k+prefetch, each after a turn of
 * the event loop, so the batch asked for comes back first and the next ones load while the
 * caller awaits anything (a worker thread's step, a file read).
 */

import type { Generator } from "@duet/tensor";
import { DataError } from "./errors.js";
import { generatorAt, permutation, STREAM } from "./seeds.js";

export interface SampleContext {
  /** This sample's own Generator, seeded by (seed, epoch, position). */
  readonly generator: Generator;
  readonly epoch: number;
  /** The sample's position in the epoch's order. */
  readonly position: number;
}

/** Anything indexable: a manifest, OpenMoji, a test's array. */
export interface Dataset<T> {
  readonly length: number;
  get(index: number, context: SampleContext): T | Promise<T>;
}

export interface LoaderPosition {
  readonly epoch: number;
  readonly index: number;
}

export interface LoaderOptions<T, B> {
  batchSize: number;
  /** Seed of the order and of every sample's Generator (default 0). */
  seed?: number;
  /** Shuffle each epoch (default true); false keeps the dataset's order. */
  shuffle?: boolean;
  /** Skip the last, smaller batch of an epoch (default false). */
  dropLast?: boolean;
  /** How many batches to load ahead (default 1; 0 turns prefetch off). */
  prefetch?: number;
  /** Applied to each sample after `get`, with the same context (e.g. a random crop). */
  augment?: (sample: T, context: SampleContext) => T | Promise<T>;
  /** Turns a batch's samples into what the caller wants (default: the array itself). */
  collate?: (samples: T[]) => B | Promise<B>;
}

export interface Batch<B> {
  readonly data: B;
  /** The dataset indices of the samples, in batch order. */
  readonly indices: readonly number[];
  readonly epoch: number;
  /** Where in the epoch's order the batch starts. */
  readonly start: number;
  /** The loader's position after this batch: save it to resume after the batch. */
  readonly next: LoaderPosition;
}

interface Pending<B> {
  readonly next: LoaderPosition;
  readonly promise: Promise<Batch<B>>;
}

const OP = "DataLoader";

export class DataLoader<T, B = T[]> {
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly prefetch: number;
  private readonly dataset: Dataset<T>;
  private readonly augment: LoaderOptions<T, B>["augment"];
  private readonly collate: (samples: T[]) => B | Promise<B>;
  private current: LoaderPosition = { epoch: 0, index: 0 };
  private queue: Pending<B>[] = [];
  private orders = new Map<number, Uint32Array>();

  constructor(dataset: Dataset<T>, options: LoaderOptions<T, B>) {
    const { batchSize, seed = 0, shuffle = true, dropLast = false, prefetch = 1 } = options;
    if (!Number.isInteger(dataset.length) || dataset.length < 1) throw new DataError(OP, `the dataset is empty (length ${dataset.length})`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new DataError(OP, `batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(seed)) throw new DataError(OP, `seed must be an integer, got ${seed}`);
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new DataError(OP, `prefetch must be a non-negative integer, got ${prefetch}`);
    if (dropLast && batchSize > dataset.length) {
      throw new DataError(OP, `batchSize ${batchSize} is larger than the dataset (${dataset.length} samples) and dropLast is set, so no batch would ever come`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.seed = seed;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.prefetch = prefetch;
    this.augment = options.augment;
    this.collate = options.collate ?? ((samples) => samples as unknown as B);
  }

  /** Samples in the dataset. */
  get length(): number {
    return this.dataset.length;
  }

  /** Batches in a whole epoch. */
  get batchesPerEpoch(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Where the next batch starts (canonical; see the file comment). */
  get position(): LoaderPosition {
    return { ...this.current };
  }

  /** Continues from a saved position; batches loaded ahead are dropped. */
  restore(position: LoaderPosition): void {
    const { epoch, index } = position;
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(index) || index < 0 || index > this.dataset.length) {
      throw new DataError(OP, `cannot restore position {epoch: ${epoch}, index: ${index}}: need integers with epoch >= 0 and 0 <= index <= ${this.dataset.length}`);
    }
    this.queue = [];
    this.current = this.canonical({ epoch, index });
  }

  /** The next batch; epochs follow one another without end. */
  next(): Promise<Batch<B>> {
    const head = this.queue.shift() ?? this.schedule(this.current);
    this.current = head.next;
    let tail = this.queue.at(-1)?.next ?? head.next;
    while (this.queue.length < this.prefetch) {
      const pending = this.schedule(tail);
      this.queue.push(pending);
      tail = pending.next;
    }
    return head.promise;
  }

  /** The batches left in the current epoch (all of it from a fresh position). */
  async *epoch(): AsyncGenerator<Batch<B>> {
    const epoch = this.current.epoch;
    while (this.current.epoch === epoch) yield await this.next();
  }

  /** The dataset indices of epoch `epoch`, in the order it visits them. */
  order(epoch: number): Uint32Array {
    let order = this.orders.get(epoch);
    if (order === undefined) {
      const n = this.dataset.length;
      order = this.shuffle ? permutation(n, generatorAt(this.seed, STREAM.order, epoch)) : Uint32Array.from({ length: n }, (_, i) => i);
      // Keep the orders the queue may still need: the current epoch's and later ones.
      for (const old of this.orders.keys()) if (old < this.current.epoch) this.orders.delete(old);
      this.orders.set(epoch, order);
    }
    return order;
  }

  private canonical(position: LoaderPosition): LoaderPosition {
    const needed = this.dropLast ? this.batchSize : 1;
    return position.index + needed > this.dataset.length ? { epoch: position.epoch + 1, index: 0 } : position;
  }

  private schedule(start: LoaderPosition): Pending<B> {
    const end = Math.min(start.index + this.batchSize, this.dataset.length);
    const next = this.canonical({ epoch: start.epoch, index: end });
    const indices = Array.from(this.order(start.epoch).subarray(start.index, end));
    const promise = this.load(start, indices, next);
    promise.catch(() => undefined); // a batch loaded ahead may fail before anyone awaits it; the caller still sees the error
    return { next, promise };
  }

  private async load(start: LoaderPosition, indices: number[], next: LoaderPosition): Promise<Batch<B>> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const samples = await Promise.all(
      indices.map(async (datasetIndex, offset) => {
        const position = start.index + offset;
        const context: SampleContext = { generator: generatorAt(this.seed, STREAM.sample, start.epoch, position), epoch: start.epoch, position };
        const sample = await this.dataset.get(datasetIndex, context);
        return this.augment === undefined ? sample : this.augment(sample, context);
      }),
    );
    const data = await this.collate(samples);
    return { data, indices, epoch: start.epoch, start: start.index, next };
  }
}

