/**
 * One run of a lesson, for real: trainClip on the emojis (the styles and split the config
 * names), then evaluateHeldOut on each held-out set — the same trainer and evaluator as
 * `duet train` and `duet demo`, so a lesson measures the product, not a copy of it.
 *
 *   train    a temporary run folder (removed after), no periodic checkpoints, the loss and
 *            logit scale of every step kept for the curves
 *   score    each held-out set: text→image and image→text R@5 (their mean is "R@5") and
 *            zero-shot top-1 over OpenMoji's 119 subgroups, with chance levels
 *   diverged a run that gives up on NaN losses (TrainAbortedError) is a result, not a crash:
 *            its metrics are null and the lesson's verdict counts it
 *   captions a config with `data.captions` trains on a noisy and/or filtered view of the
 *            emojis (data/openmoji/caption-view.ts), its noise drawn from the run's seed;
 *            its counts go into the outcome. The held-out sets stay clean.
 *   binding  a config with `binding` also scores the attribute-binding benchmark of those
 *            styles' test splits (eval/binding.ts; all its emojis, whatever the limit: it is
 *            small), as "<style>:test binding" in the outcome's evals
 *
 * The emojis are loaded once per resolution and limit, and shared by every run.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captionView } from "../data/openmoji/caption-view.js";
import { EmojiCollection, loadEmojiCollection } from "../data/openmoji/collection.js";
import { EMOJI_STYLES } from "../data/openmoji/styles.js";
import { bindingSet, evaluateBinding, type BindingSet } from "../eval/binding.js";
import { evaluateHeldOut } from "../eval/held-out.js";
import { modelEncoder } from "../eval/encoder.js";
import { openMojiEvalSet, type OpenMojiEvalSet } from "../eval/openmoji.js";
import { TrainAbortedError } from "../train/errors.js";
import { trainClip } from "../train/trainer.js";
import { evalName } from "./metrics.js";
import type { LessonRunConfig, RunCurves, RunOutcome } from "./types.js";

export interface RunContext {
  /** Aborted: the run stops after its current step and is discarded (a second Ctrl-C). */
  signal?: AbortSignal;
  /** Warnings of the trainer (a skipped NaN step). */
  log?: (line: string) => void;
  /** The raster cache folder (default: the repository's .cache/openmoji). */
  cacheDir?: string;
}

/** Trains and scores one run; "stopped" when the signal ended it early. */
export type ExecuteRun = (config: LessonRunConfig, context: RunContext) => Promise<RunOutcome | "stopped">;

/** At most this many points per curve: enough for a plot, small enough for lessons.json. */
const CURVE_POINTS = 60;

/** Every k-th point and the last, so at most CURVE_POINTS remain. */
export function downsample(points: readonly [number, number][]): [number, number][] {
  if (points.length <= CURVE_POINTS) return points.map(([x, y]) => [x, y]);
  const every = Math.ceil(points.length / CURVE_POINTS);
  const kept = points.filter((_, i) => i % every === 0);
  if (kept.at(-1) !== points.at(-1)) kept.push(points.at(-1)!);
  return kept.map(([x, y]) => [x, y]);
}

/** The trainer and evaluator of the file comment, with the emojis loaded once. */
export function emojiRunner(): ExecuteRun {
  const collections = new Map<string, Promise<EmojiCollection>>();
  const evalSets = new Map<string, Promise<OpenMojiEvalSet>>();
  const bindingSets = new Map<string, Promise<BindingSet>>();
  const load = (resolution: number, limit: number | null, cacheDir: string | undefined) => {
    const key = `${resolution}/${limit}`;
    let found = collections.get(key);
    if (found === undefined) collections.set(key, (found = loadEmojiCollection({ styles: EMOJI_STYLES, resolution, cacheDir, ...(limit === null ? {} : { limit }) })));
    return found;
  };
  return async (config, context) => {
    const resolution = (config.model["vision_cfg"] as { image_size: number }).image_size;
    const all = await load(resolution, config.data.limit, context.cacheDir);
    const styles = new EmojiCollection(config.data.styles.map((style) => all.part(style)!));
    const view = config.data.captions === undefined ? null : captionView(styles, config.data.split, config.data.captions, config.seed);
    const trainOn = view?.collection ?? styles;
    const withCaptions = (o: RunOutcome): RunOutcome => (view === null ? o : { ...o, captions: view.stats });
    const t = config.training;
    const dir = mkdtempSync(join(tmpdir(), "duet-lesson-"));
    const started = performance.now();
    const losses: [number, number][] = [];
    const scales: [number, number][] = [];
    let skipped = 0;
    try {
      let result;
      try {
        result = await trainClip(
          {
            outDir: dir, model: config.model, data: { kind: "emoji", dataset: trainOn, split: config.data.split }, seed: config.seed,
            steps: t.steps, batchSize: t.batchSize, lr: t.lr, warmup: t.warmup, weightDecay: t.weightDecay, gradClipNorm: t.gradClipNorm,
            loss: t.loss, augment: t.augment, temperature: t.temperature, chunkSize: t.chunkSize, vocabSize: t.vocabSize, contextLength: t.contextLength,
            ...(t.hardNegatives === true ? { hardNegatives: true } : {}),
            ...(t.lossGroup === undefined ? {} : { lossGroup: t.lossGroup }),
            threads: config.threads, dataParallel: config.dataParallel, checkpointEvery: 0, evalEvery: 0, signal: context.signal,
          },
          {
            onStep(record) {
              if (record.skipped) skipped++;
              else losses.push([record.step, record.loss]);
              scales.push([record.step, record.logit_scale]);
            },
            onLog(line, level) {
              if (level === "warn") context.log?.(`warning: ${line}`);
            },
          },
        );
      } catch (error) {
        if (!(error instanceof TrainAbortedError)) throw error;
        context.log?.(`warning: ${config.lesson} ${config.point} seed ${config.seed} diverged: ${error.message}`);
        return withCaptions(outcome(error.step, "diverged", losses, scales, skipped + 1, {}, null, started));
      }
      if (result.stoppedBy === "signal") return "stopped";
      const encoder = modelEncoder(result.model, result.tokenizer);
      const evals: RunOutcome["evals"] = {};
      for (const spec of config.eval) {
        const key = `${resolution}/${config.data.limit}/${evalName(spec)}`;
        let set = evalSets.get(key);
        if (set === undefined) evalSets.set(key, (set = openMojiEvalSet(resolution, spec.split, { style: spec.style, openMoji: all.part(spec.style)!, cacheDir: context.cacheDir })));
        evals[evalName(spec)] = (await evaluateHeldOut(encoder, await set)).record;
      }
      for (const spec of config.binding ?? []) {
        const key = `${resolution}/${evalName(spec)}`;
        let set = bindingSets.get(key);
        if (set === undefined) bindingSets.set(key, (set = bindingSet(resolution, spec.split, spec.style, { cacheDir: context.cacheDir, openMoji: all.part(spec.style) })));
        evals[`${evalName(spec)} binding`] = (await evaluateBinding(encoder, await set)).record;
      }
      return withCaptions(outcome(result.steps, "steps", losses, scales, skipped, evals, result.model.numParameters(), started));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function outcome(steps: number, stopped: RunOutcome["stopped"], losses: [number, number][], scales: [number, number][], skippedSteps: number, evals: RunOutcome["evals"], parameters: number | null, started: number): RunOutcome {
  const tail = losses.slice(-Math.max(1, Math.round(steps / 10)));
  const curves: RunCurves = { loss: downsample(losses), logit_scale: downsample(scales) };
  return {
    steps,
    stopped,
    finalLoss: stopped === "steps" && tail.length > 0 ? tail.reduce((a, [, l]) => a + l, 0) / tail.length : null,
    logitScale: scales.at(-1)?.[1] ?? null,
    maxLogitScale: scales.length > 0 ? Math.max(...scales.map(([, s]) => s)) : null,
    skippedSteps,
    parameters,
    evals,
    curves,
    seconds: (performance.now() - started) / 1000,
  };
}
