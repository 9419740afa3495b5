/**
 * A data-parallel worker (bundled by @duet/tensor's bundleWorker, started by
 * data-parallel.ts): its own copy of the model (a CLIP or a CoCa, as the config says) whose
 * parameters are the main thread's shared arrays, running its chunks of each contrastive batch. Inside it the kernel pool runs on this one thread (a worker is never the
 * pool's main thread), so the machine's cores go to shards, not to splitting kernels.
 *
 *   { type: "embed", id, images, tokens, negatives, chunks, seeds }
 *                                                         ->  { id, features: [{ image, text, negative?, caption }] }
 *   { type: "backward", id, grads: [{ image, text, negative? }], captionScale }
 *                                                         ->  { id }   gradients in our slots
 *   (caption: a CoCa chunk's summed caption loss, null for a CLIP; negatives: the batch's
 *   hard-negative tokens or null, negative: their rows' features or gradients; see shard.ts)
 *   any failure                                           ->  { id, error }
 */

import { parentPort, workerData } from "node:worker_threads";
import { Tensor, type TypedArray } from "@duet/tensor";
import { createModel } from "../model/clip.js";
import { parseModelConfig, type ModelConfigJson } from "../model/config.js";
import { bindParameters, moveGradientsTo } from "./shared-memory.js";
import { ShardRunner, type Chunk, type ChunkPair } from "./shard.js";

interface WireTensor {
  data: TypedArray;
  shape: number[];
}

interface Init {
  config: ModelConfigJson;
  dtype: "float32" | "float64";
  names: string[];
  params: TypedArray[];
  grads: TypedArray[];
}

type Job =
  | { type: "embed"; id: number; images: WireTensor; tokens: WireTensor; negatives: WireTensor | null; chunks: Chunk[]; seeds: number[] }
  | { type: "backward"; id: number; grads: ChunkPair<WireTensor>[]; captionScale: number };

const port = parentPort!;
const init = workerData as Init;
const model = createModel(parseModelConfig(init.config), { dtype: init.dtype, initialize: false });
bindParameters(model, init.names, init.params);
model.train();
const runner = new ShardRunner(model);

const toTensor = (t: WireTensor) => new Tensor(t.data, t.shape);
const toWire = (t: Tensor): WireTensor => ({ data: t.contiguousData(), shape: [...t.shape] });

port.on("message", (job: Job) => {
  try {
    if (job.type === "embed") {
      const features = runner.embed(toTensor(job.images), toTensor(job.tokens), job.chunks, job.seeds, job.negatives === null ? null : toTensor(job.negatives));
      port.postMessage({ id: job.id, features: features.map((f) => ({ image: toWire(f.image), text: toWire(f.text), ...(f.negative === undefined ? {} : { negative: toWire(f.negative) }), caption: f.caption })) });
    } else {
      runner.backward(job.grads.map((g) => ({ image: toTensor(g.image), text: toTensor(g.text), ...(g.negative === undefined ? {} : { negative: toTensor(g.negative) }) })), job.captionScale);
      moveGradientsTo(model, init.grads);
      port.postMessage({ id: job.id });
    }
  } catch (error) {
    port.postMessage({ id: job.id, error: error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error) });
  }
});
port.postMessage({ ready: true });
