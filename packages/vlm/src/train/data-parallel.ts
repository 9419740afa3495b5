/**
 * Data parallelism over worker threads: the main thread and n - 1 workers each run a shard
 * of every contrastive batch.
 *
 *   1. every thread embeds its chunks (dp-worker.ts; the main thread runs its own with ShardRunner)
 *   2. the features are gathered on the main thread, which takes the loss over the whole
 *      batch — global negatives: every image against every text, whichever thread embedded it —
 *      and its gradient with respect to the features (feature-loss.ts)
 *   3. each thread back-propagates its slice of that gradient; a worker leaves its parameter
 *      gradients in its own shared slots
 *   4. the main thread adds the slots to its own gradients in worker order (a fixed order,
 *      so a run is deterministic for a given thread count), and the optimiser updates the
 *      parameters in place — on shared memory, so the workers see the new values next step
 *
 * This class is the main thread's side: it starts the workers and talks to them.
 */

import type { Worker as NodeWorker } from "node:worker_threads";
import { Worker } from "node:worker_threads";
import { bundleWorker, Tensor, type TypedArray } from "@duet/tensor";
import type { CLIP } from "../model/clip.js";
import { modelConfigToJson } from "../model/config.js";
import { TrainError } from "./errors.js";
import { addGradientsFrom, gradientSlots, shareParameters } from "./shared-memory.js";
import type { Chunk, ChunkFeatures, ChunkPair } from "./shard.js";

interface WireTensor {
  data: TypedArray;
  shape: number[];
}

interface Reply {
  id?: number;
  ready?: boolean;
  error?: string;
  features?: (ChunkPair<WireTensor> & { caption: number | null })[];
}

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;

  constructor(
    readonly worker: NodeWorker,
    readonly slots: TypedArray[],
  ) {
    worker.on("message", (reply: Reply) => {
      if (reply.id === undefined) return;
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error !== undefined) p?.reject(new TrainError("dataParallel", `a worker failed: ${reply.error}`));
      else p?.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on("error", (error) => fail(new TrainError("dataParallel", `a worker crashed: ${error.message}`, { cause: error })));
    worker.on("exit", (code) => fail(new TrainError("dataParallel", `a worker exited (code ${code})`)));
  }

  request(message: Record<string, unknown>): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }
}

const toWire = (t: Tensor): WireTensor => ({ data: t.contiguousData(), shape: [...t.shape] });
const fromWire = (t: WireTensor): Tensor => new Tensor(t.data, t.shape);

export class DataParallelWorkers {
  private constructor(private readonly handles: WorkerHandle[]) {}

  /** Puts `model`'s parameters on shared memory and starts `count` workers on them. */
  static async start(model: CLIP, count: number): Promise<DataParallelWorkers> {
    const names = model.namedParameters().map(([name]) => name);
    const params = shareParameters(model);
    const dtype = model.logitScale.dtype === "float64" ? "float64" : "float32";
    const handles: WorkerHandle[] = [];
    try {
      // the worker needs the whole model, so dp-worker.ts and all it imports are bundled into one script
      const source = bundleWorker(new URL("./dp-worker.ts", import.meta.url), { op: "dataParallel" });
      for (let w = 0; w < count; w++) {
        const slots = gradientSlots(model);
        const worker = new Worker(source, { eval: true, workerData: { config: modelConfigToJson(model.config), dtype, names, params, grads: slots } });
        await new Promise<void>((resolve, reject) => {
          const onMessage = (m: Reply) => {
            if (m.ready) {
              worker.off("message", onMessage);
              worker.off("error", reject);
              resolve();
            }
          };
          worker.on("message", onMessage);
          worker.once("error", reject);
        });
        handles.push(new WorkerHandle(worker, slots));
      }
    } catch (error) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      throw new TrainError("dataParallel", `could not start the workers: ${(error as Error).message}`, { cause: error });
    }
    return new DataParallelWorkers(handles);
  }

  get count(): number {
    return this.handles.length;
  }

  /** Worker `w` embeds `chunks` of the batch (and their rows' hard negatives); resolves to their features (and a CoCa's caption losses). */
  async embed(w: number, images: Tensor, tokens: Tensor, chunks: readonly Chunk[], seeds: readonly number[], negatives: Tensor | null = null): Promise<ChunkFeatures[]> {
    const reply = await this.handles[w]!.request({ type: "embed", images: toWire(images), tokens: toWire(tokens), negatives: negatives === null ? null : toWire(negatives), chunks, seeds });
    return reply.features!.map((f) => ({ image: fromWire(f.image), text: fromWire(f.text), ...(f.negative === undefined ? {} : { negative: fromWire(f.negative) }), caption: f.caption }));
  }

  /** Worker `w` back-propagates its chunks' feature gradients (and a CoCa's caption losses) into its slots. */
  async backward(w: number, grads: readonly ChunkPair<Tensor>[], captionScale: number): Promise<void> {
    await this.handles[w]!.request({ type: "backward", captionScale, grads: grads.map((g) => ({ image: toWire(g.image), text: toWire(g.text), ...(g.negative === undefined ? {} : { negative: toWire(g.negative) }) })) });
  }

  /** Adds every worker's gradients to the model's, worker 0 first. */
  addGradients(model: CLIP): void {
    for (const h of this.handles) addGradientsFrom(model, h.slots);
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.worker.terminate()));
  }
}
