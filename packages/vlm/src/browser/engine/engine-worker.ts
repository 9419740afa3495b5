/// <reference lib="dom" />
/**
 * The engine worker: the one thread of the page that runs Duet. It owns the model, the
 * image set's features, the training run and the worker pool (@duet/tensor's
 * pool/browser-host.ts), and it may block while a kernel's share runs on the pool, which a
 * page's main thread may not.
 * The page talks to it through protocol.ts.
 */

import { concat, getNumThreads, matmul, poolStats, softmax, stack, startBrowserPool, type Tensor } from "@duet/tensor";
import { EMOJI_TEMPLATES } from "../../data/prompt-template.js";
import { embedImages, embedTexts } from "../../eval/embed.js";
import { isCoCa } from "../../model/coca.js";
import { generateCaptions, longestCaption, stripEnd } from "../../model/coca-generate.js";
import { buildZeroShotClassifier, zeroShotLogits } from "../../eval/zero-shot.js";
import { rgbImage, type RgbImage } from "../../image/image.js";
import { detokenize } from "../../tokenizer/detokenize.js";
import { checkpointFromFiles, fetchCheckpoint, type BrowserCheckpoint } from "../checkpoint.js";
import { decodeImageBlob, fetchImage } from "../decode-image.js";
import type { CaptionHit, EngineEvent, EngineMethods, EngineRequest, EngineResponse, MethodName, ModelSummary, SearchHit } from "./protocol.js";
import { BrowserTrainer, DEMO_RESOLUTION, defaultTrainSettings, type ServedEmoji } from "./train-loop.js";

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<EngineRequest>) => void) | null;
  postMessage(message: EngineResponse | EngineEvent): void;
};

interface ImageItem {
  name: string;
  url?: string;
  hexcode?: string;
  row?: number;
  captions?: string[];
}

interface ImageSetJson {
  kind: "files" | "openmoji";
  items: ImageItem[];
  resolution?: number;
  pixels?: string;
}

/** Embedding batch: the CLI's (duet index embeds 64 images per forward pass). */
const IMAGE_BATCH = 64;
const TEXT_BATCH = 256;
/** Beam search's widest: each beam is a row through the decoder at every token. */
const MAX_BEAMS = 8;

let checkpoint: BrowserCheckpoint | null = null;
let imageSet: { items: ImageItem[]; features: Tensor } | null = null;
let captionPool: { texts: string[]; features: Tensor } | null = null;
let training: { trainer: BrowserTrainer; running: boolean; maxSteps: number } | null = null;
const openMojiCache: { items: ServedEmoji[]; pixels: Map<number, Uint8Array> } = { items: [], pixels: new Map() };

function emit(event: EngineEvent): void {
  scope.postMessage(event);
}

function requireCheckpoint(): BrowserCheckpoint {
  if (checkpoint === null) throw new Error("no model loaded: start duet serve with --checkpoint, or train one in the Train tab and press \"Use this model\"");
  return checkpoint;
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

async function openMojiMeta(): Promise<ServedEmoji[]> {
  if (openMojiCache.items.length === 0) openMojiCache.items = ((await (await fetchOk("/openmoji/meta.json")).json()) as { items: ServedEmoji[] }).items;
  return openMojiCache.items;
}

async function openMojiPixels(resolution: number): Promise<Uint8Array> {
  let pixels = openMojiCache.pixels.get(resolution);
  if (pixels === undefined) {
    pixels = new Uint8Array(await (await fetchOk(`/openmoji/${resolution}/pixels.bin`)).arrayBuffer());
    openMojiCache.pixels.set(resolution, pixels);
  }
  return pixels;
}

function summary(c: BrowserCheckpoint): ModelSummary {
  const model: unknown = c.model;
  return {
    kind: isCoCa(model) ? "coca" : "clip",
    maxCaptionLength: isCoCa(model) ? longestCaption(model) : 0,
    embedDim: c.config.embed_dim,
    imageSize: c.config.vision_cfg.image_size,
    contextLength: c.config.text_cfg.context_length,
    vocabSize: c.config.text_cfg.vocab_size,
    tokenizer: c.config.duet.tokenizer,
    parameters: c.model.numParameters(),
    logitScale: Math.exp(c.model.logitScale.value.contiguousData()[0]!),
  };
}

/** Token ids, checked against the model's vocabulary (as the CLI's tokenizeFor). */
function tokenize(c: BrowserCheckpoint, texts: readonly string[]): Tensor {
  const tokens = c.tokenize(texts);
  const ids = tokens.contiguousData();
  for (let i = 0; i < ids.length; i++) {
    if (ids[i]! >= c.config.text_cfg.vocab_size) throw new Error(`the tokenizer gives id ${ids[i]} but text_cfg.vocab_size is ${c.config.text_cfg.vocab_size}`);
  }
  return tokens;
}

function textFeatures(c: BrowserCheckpoint, texts: readonly string[]): Tensor {
  return embedTexts(c.model, tokenize(c, texts), { batchSize: TEXT_BATCH });
}

function rows(features: Tensor): number[][] {
  const [n, d] = features.shape as [number, number];
  const data = features.contiguousData();
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
}

/** Images fetched and decoded a few at a time (the server is local, decoding is the cost). */
async function decodeAll(urls: readonly string[], task: string): Promise<RgbImage[]> {
  const out: RgbImage[] = new Array(urls.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < urls.length) {
      const i = next++;
      out[i] = await fetchImage(urls[i]!);
      if (++done % 16 === 0) emit({ event: "progress", task, done, total: urls.length });
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return out;
}

async function embedImageSet(c: BrowserCheckpoint, url: string): Promise<{ count: number; ms: number }> {
  const started = performance.now();
  const json = (await (await fetchOk(url)).json()) as ImageSetJson;
  let images: RgbImage[];
  if (json.kind === "openmoji") {
    const resolution = json.resolution!;
    const pixels = await openMojiPixels(resolution);
    const bytes = resolution * resolution * 3;
    images = json.items.map((item) => rgbImage(resolution, resolution, pixels.subarray(item.row! * bytes, (item.row! + 1) * bytes)));
  } else {
    images = await decodeAll(json.items.map((item) => item.url!), "decoding images");
  }
  const parts: Tensor[] = [];
  for (let start = 0; start < images.length; start += IMAGE_BATCH) {
    const batch = images.slice(start, start + IMAGE_BATCH).map((image) => c.preprocessImage(image));
    parts.push(embedImages(c.model, stack(batch), { batchSize: IMAGE_BATCH }));
    emit({ event: "progress", task: "embedding images", done: Math.min(images.length, start + IMAGE_BATCH), total: images.length });
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the page hear the progress
  }
  imageSet = { items: json.items, features: parts.length === 1 ? parts[0]! : concat(parts, 0) };
  captionPool = null;
  return { count: images.length, ms: performance.now() - started };
}

/** Indices of the k largest scores, best first; ties go to the lower index (duet search's order). */
function topK(scores: ArrayLike<number>, k: number): SearchHit[] {
  return Array.from({ length: scores.length }, (_, i) => i)
    .sort((a, b) => scores[b]! - scores[a]! || a - b)
    .slice(0, k)
    .map((index) => ({ index, score: scores[index]! }));
}

async function ensureCaptionPool(c: BrowserCheckpoint): Promise<{ texts: string[]; features: Tensor }> {
  if (captionPool !== null) return captionPool;
  const own = [...new Set((imageSet?.items ?? []).flatMap((item) => item.captions ?? []))];
  // without captions of its own, the pool is OpenMoji's emoji names (skin-tone variants left
  // out: "waving hand: light skin tone" and its four siblings add little but cost)
  const texts = own.length > 0 ? own : [...new Set((await openMojiMeta()).filter((item) => item.skintone === "").map((item) => item.annotation))];
  captionPool = { texts, features: textFeatures(c, texts) };
  return captionPool;
}

async function trainTick(): Promise<void> {
  const run = training!;
  const report = await run.trainer.runStep();
  const heatmap = report.step <= 10 || report.step % 2 === 0 ? run.trainer.heatmap() : undefined;
  // the trainer's NaN guard: a skipped step changed nothing; too many in a row end the run
  if (run.trainer.step >= run.maxSteps || report.gaveUp) run.running = false;
  emit({ event: "train", report, heatmap, running: run.running });
  if (!run.running) {
    const reason = report.gaveUp ? `stopped: ${report.nanStreak} steps in a row had a NaN or Inf loss or gradient (try a lower learning rate)` : run.trainer.step >= run.maxSteps ? "finished" : "paused";
    emit({ event: "trainStopped", step: run.trainer.step, reason });
  }
}

const handlers: { [M in MethodName]: (params: Parameters<EngineMethods[M]>[0]) => Promise<ReturnType<EngineMethods[M]>> | ReturnType<EngineMethods[M]> } = {
  async init({ threads, poolUrl }) {
    const started = await startBrowserPool(poolUrl, threads);
    return { ...started, crossOriginIsolated: Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) };
  },
  poolStats() {
    return { ...poolStats(), threads: getNumThreads() };
  },
  async loadCheckpoint({ base, files, vocabUrl }) {
    checkpoint = await fetchCheckpoint(base, files, vocabUrl);
    imageSet = null;
    captionPool = null;
    return summary(checkpoint);
  },
  async loadImageSet({ url }) {
    return embedImageSet(requireCheckpoint(), url);
  },
  search({ query, k }) {
    const c = requireCheckpoint();
    if (imageSet === null) throw new Error("the image set is not embedded yet");
    if (query.trim() === "") return [];
    const q = textFeatures(c, [query]);
    return topK(matmul(imageSet.features, q.transpose()).contiguousData(), k);
  },
  async captionsFor({ index, k }): Promise<CaptionHit[]> {
    const c = requireCheckpoint();
    if (imageSet === null || index < 0 || index >= imageSet.items.length) throw new Error(`no image ${index} in the image set`);
    const pool = await ensureCaptionPool(c);
    const image = imageSet.features.slice(0, index, index + 1);
    return topK(matmul(pool.features, image.transpose()).contiguousData(), k).map((hit) => ({ caption: pool.texts[hit.index]!, score: hit.score }));
  },
  async classify({ image, labels, templates }) {
    const c = requireCheckpoint();
    const clean = labels.map((l) => l.trim()).filter((l) => l.length > 0);
    if (clean.length < 2) throw new Error("give at least two labels");
    const prompts = templates.map((t) => t.trim()).filter((t) => t.length > 0);
    const decoded = typeof image === "string" ? await fetchImage(image) : await decodeImageBlob(image, "the dropped image");
    const features = embedImages(c.model, stack([c.preprocessImage(decoded)]));
    const classifier = buildZeroShotClassifier(c.model, (texts) => tokenize(c, texts), clean, prompts.length > 0 ? prompts : EMOJI_TEMPLATES);
    const scale = Math.exp(c.model.logitScale.value.contiguousData()[0]!);
    const probabilities = softmax(zeroShotLogits(features, classifier, scale), -1).contiguousData();
    return clean.map((label, i) => ({ label, probability: probabilities[i]! })).sort((a, b) => b.probability - a.probability);
  },
  async describe({ image, beams }) {
    const c = requireCheckpoint();
    const model: unknown = c.model;
    if (!isCoCa(model)) throw new Error("the loaded model is a CLIP: it has no text decoder, so it cannot describe an image (serve a CoCa checkpoint, e.g. from duet demo --model coca)");
    const width = beams ?? 1;
    if (!Number.isInteger(width) || width < 1 || width > MAX_BEAMS) throw new Error(`describe: beams must be an integer from 1 to ${MAX_BEAMS}, got ${beams}`);
    const decoded = typeof image === "string" ? await fetchImage(image) : await decodeImageBlob(image, "the dropped image");
    const started = performance.now();
    const { sotTokenId, eotTokenId } = c.tokenizer;
    // the decoding of `duet caption` (eval/caption-eval.ts captionSet), for one image
    const [row] = generateCaptions(model, stack([c.preprocessImage(decoded)]), { sotId: sotTokenId, eotId: eotTokenId, beams: width });
    const tokens = stripEnd(row!, eotTokenId);
    return { text: detokenize(c.tokenizer.decode(tokens)), tokens, ms: performance.now() - started };
  },
  async embed({ texts, images }) {
    const c = requireCheckpoint();
    const decoded = await decodeAll(images, "decoding images");
    return {
      image_features: decoded.length > 0 ? rows(embedImages(c.model, stack(decoded.map((d) => c.preprocessImage(d))))) : [],
      text_features: texts.length > 0 ? rows(textFeatures(c, texts)) : [],
      logit_scale: Math.exp(c.model.logitScale.value.contiguousData()[0]!),
    };
  },
  async trainStart(params) {
    const settings = { ...defaultTrainSettings(), ...Object.fromEntries(Object.entries(params).filter(([key, v]) => key !== "maxSteps" && v !== undefined)) };
    const items = await openMojiMeta();
    const trainer = new BrowserTrainer(items, await openMojiPixels(DEMO_RESOLUTION), DEMO_RESOLUTION, settings);
    training = { trainer, running: true, maxSteps: params.maxSteps ?? settings.steps };
    emit({ event: "train", report: { step: 0, loss: NaN, logitScale: Math.exp(trainer.model.logitScale.value.contiguousData()[0]!), lr: 0, ms: 0, finite: true, nanStreak: 0, gaveUp: false }, heatmap: trainer.heatmap(), running: true });
    return { settings, vocabSize: trainer.tokenizer.vocabSize, contextLength: trainer.model.config.text_cfg.context_length, parameters: trainer.model.numParameters() };
  },
  trainPause() {
    if (training === null) throw new Error("no training run");
    if (training.running) {
      training.running = false;
      emit({ event: "trainStopped", step: training.trainer.step, reason: "paused" });
    }
    return { step: training.trainer.step };
  },
  trainResume({ moreSteps }) {
    if (training === null) throw new Error("no training run: start one");
    // paused short of its target, a run goes on to it; a finished one runs `moreSteps` more
    if (training.trainer.step >= training.maxSteps) training.maxSteps = training.trainer.step + Math.max(1, moreSteps);
    training.running = true;
    return { step: training.trainer.step };
  },
  trainExport() {
    if (training === null) throw new Error("no training run");
    return { files: [...training.trainer.files()].map(([name, bytes]) => ({ name, bytes })) };
  },
  async trainUse() {
    if (training === null) throw new Error("no training run");
    const files = training.trainer.files();
    const json = (name: string) => JSON.parse(new TextDecoder().decode(files.get(name)!)) as unknown;
    checkpoint = await checkpointFromFiles({ config: json("config.json"), layout: "duet", weights: files.get("model.safetensors")!, tokenizerJson: json("tokenizer.json"), source: "the trained model/" });
    imageSet = null; // the page embeds the image set again (loadImageSet)
    captionPool = null;
    return summary(checkpoint);
  },
};

// One call at a time, in order; while training runs, a step between calls.
const queue: EngineRequest[] = [];
let wake: (() => void) | null = null;

scope.onmessage = (event) => {
  queue.push(event.data);
  wake?.();
};

async function serve(request: EngineRequest): Promise<void> {
  try {
    const handler = handlers[request.method] as (params: unknown) => unknown;
    if (typeof handler !== "function") throw new Error(`unknown method ${String(request.method)}`);
    const result = await handler(request.params);
    scope.postMessage({ id: request.id, ok: true, result });
  } catch (error) {
    scope.postMessage({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}

async function loop(): Promise<void> {
  for (;;) {
    const request = queue.shift();
    if (request !== undefined) {
      await serve(request);
      continue;
    }
    if (training?.running) {
      try {
        await trainTick();
      } catch (error) {
        training.running = false;
        emit({ event: "trainStopped", step: training.trainer.step, reason: `failed: ${error instanceof Error ? error.message : String(error)}` });
      }
      await new Promise((resolve) => setTimeout(resolve, 0)); // let a pause or a search in
      continue;
    }
    await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
  }
}

void loop();
