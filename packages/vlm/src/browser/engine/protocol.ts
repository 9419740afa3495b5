/**
 * The messages between the page and its engine worker. The page calls a method and awaits
 * its result; the worker also sends events (progress, training steps) as they happen.
 *
 *   page -> worker   {id, method, params}
 *   worker -> page   {id, ok: true, result} | {id, ok: false, error}   one per call
 *                    {event: "progress" | "train", ...}                  any time
 *
 * Calls run one at a time in arrival order; a training run yields between steps, so a
 * search typed meanwhile waits at most one step.
 */

import type { Heatmap, StepReport, TrainSettings } from "./train-loop.js";

export interface SearchHit {
  index: number;
  score: number;
}

export interface CaptionHit {
  caption: string;
  score: number;
}

export interface ModelSummary {
  /** "coca" when the model has a text decoder (it can describe an image), else "clip". */
  kind: "clip" | "coca";
  /** A CoCa's longest caption in tokens (its text context), 0 for a CLIP. */
  maxCaptionLength: number;
  embedDim: number;
  imageSize: number;
  contextLength: number;
  vocabSize: number;
  tokenizer: string;
  parameters: number;
  logitScale: number;
}

export interface EngineMethods {
  /** Starts the worker pool (threads including the engine's own); reports what it got. */
  init(params: { threads: number; poolUrl: string }): { threads: number; reason?: string; crossOriginIsolated: boolean };
  /** How many kernel jobs ran split over the pool, and over how many threads (getNumThreads). */
  poolStats(params: Record<string, never>): { parallelJobs: number; workers: number; threads: number };
  /** Loads the served checkpoint. */
  loadCheckpoint(params: { base: string; files: string[]; vocabUrl: string }): ModelSummary;
  /** Fetches /api/images and embeds every image (progress events as it goes); returns the count. */
  loadImageSet(params: { url: string }): { count: number; ms: number };
  /** Text -> the k nearest images of the image set, best first (ties: lower index first, as duet search). */
  search(params: { query: string; k: number }): SearchHit[];
  /** An image of the set -> the k nearest captions of the caption pool. */
  captionsFor(params: { index: number; k: number }): CaptionHit[];
  /** Zero-shot: probabilities over labels (prompts from templates, averaged per label). */
  classify(params: { image: Blob | string; labels: string[]; templates: string[] }): { label: string; probability: number }[];
  /** A CoCa's caption of an image, as `duet caption` writes it (greedy, or beam search with beams > 1); a CLIP is refused. */
  describe(params: { image: Blob | string; beams?: number }): { text: string; tokens: number[]; ms: number };
  /** Features as `duet embed --json` prints them. */
  embed(params: { texts: string[]; images: string[] }): { image_features: number[][]; text_features: number[][]; logit_scale: number };
  /** Starts (or restarts) training the default model; steps run until paused. */
  trainStart(params: Partial<TrainSettings> & { maxSteps?: number }): { settings: TrainSettings; vocabSize: number; contextLength: number; parameters: number };
  trainPause(params: Record<string, never>): { step: number };
  /** Goes on; a run that reached its last step runs `moreSteps` more. */
  trainResume(params: { moreSteps: number }): { step: number };
  /** The trained model's checkpoint files. */
  trainExport(params: Record<string, never>): { files: { name: string; bytes: Uint8Array }[] };
  /** Makes (a copy of) the trained model the one Search and Classify use; call loadImageSet next. */
  trainUse(params: Record<string, never>): ModelSummary;
}

export type MethodName = keyof EngineMethods;
export type ParamsOf<M extends MethodName> = Parameters<EngineMethods[M]>[0];
export type ResultOf<M extends MethodName> = ReturnType<EngineMethods[M]>;

export interface EngineRequest<M extends MethodName = MethodName> {
  id: number;
  method: M;
  params: ParamsOf<M>;
}

export type EngineResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export type EngineEvent =
  | { event: "progress"; task: string; done: number; total: number }
  | { event: "train"; report: StepReport; heatmap?: Heatmap; running: boolean }
  | { event: "trainStopped"; step: number; reason: string };
