/**
 * One step, one recipe: the browser's Train tab and the CLI's trainer take the same step.
 * The page's settings resolve to the recipe trainClip resolves for the same options, and on
 * the same weights and batch the two give the same loss, the same gradients and the same
 * updated weights, bit for bit — for InfoNCE and for SigLIP.
 */

import { describe, expect, it } from "vitest";
import { BrowserTrainer, defaultTrainSettings, recipeOf, type ServedEmoji, type TrainSettings } from "../../packages/vlm/src/browser/engine/train-loop.js";
import { resolveRunConfig } from "../../packages/vlm/src/train/options.js";
import { createModel, getPreset, recipeDefaults, startStepEngine, TrainingStep, type Recipe } from "../../packages/vlm/src/index.js";
import { handfulOfOpenMoji } from "./train-helpers.js";

/** Every key of a recipe, from the recipe itself: a key added to Recipe is compared here without anyone listing it. */
const RECIPE_KEYS = Object.keys(recipeDefaults(null)) as (keyof Recipe)[];

async function pageTrainer(settings: Partial<TrainSettings>): Promise<BrowserTrainer> {
  const openMoji = await handfulOfOpenMoji();
  const items: ServedEmoji[] = openMoji.items.map((item) => ({ ...item, split: "train" }));
  return new BrowserTrainer(items, openMoji.pixels, openMoji.resolution, { ...defaultTrainSettings(), batchSize: 8, heatmapSize: 4, ...settings });
}

/** The recipe trainClip resolves for the demo preset and these options. */
function trainerRecipe(settings: TrainSettings): Recipe {
  const { lr, warmup, steps, weightDecay, gradClipNorm, batchSize, loss } = settings;
  const run = resolveRunConfig(
    { outDir: "unused", model: "demo", lr, warmup, steps, weightDecay, gradClipNorm, batchSize, loss },
    { modelName: "demo", preset: getPreset("demo"), saved: null, dataDescription: "test", dataLength: 8, loss, vocabSize: 600, contextLength: 16 },
  );
  return Object.fromEntries(RECIPE_KEYS.map((key) => [key, run[key]])) as unknown as Recipe;
}

describe("the page's step is the trainer's step", () => {
  it("the page's default settings resolve to the recipe trainClip uses for the demo preset", () => {
    const settings = { ...defaultTrainSettings(), batchSize: 8 };
    expect(recipeOf(settings)).toEqual(trainerRecipe(settings));
  });

  it.each(["clip", "siglip"] as const)("same weights and batch: the same loss, gradients and updated weights (%s)", async (loss) => {
    const page = await pageTrainer({ loss, seed: 3, warmup: 0 });
    // the trainer's side: a copy of the page's model, the recipe trainClip resolves, its StepEngine
    const model = createModel(page.model.config);
    model.loadStateDict(page.model.stateDict());
    model.train();
    const engine = await startStepEngine(model, { shards: 1, chunkSize: null, loss });
    const trainer = new TrainingStep(model, engine, trainerRecipe(page.settings));
    expect(trainer.recipe).toEqual(page.stepper.recipe);

    for (let step = 0; step < 3; step++) {
      const batch = page.nextBatch();
      const ours = await page.runStep(batch);
      const theirs = await trainer.run(step, () => batch);
      expect(ours.finite && theirs.finite).toBe(true);
      expect(ours.loss, `step ${step}: loss`).toBe(theirs.loss);
      expect(ours.lr, `step ${step}: learning rate`).toBe(theirs.lr);
      const pageParams = page.model.namedParameters();
      model.namedParameters().forEach(([name, p], i) => {
        const q = pageParams[i]![1];
        expect(pageParams[i]![0]).toBe(name);
        expect(Array.from(q.grad!.contiguousData()), `step ${step}: gradient of ${name}`).toEqual(Array.from(p.grad!.contiguousData()));
        expect(Array.from(q.value.contiguousData()), `step ${step}: ${name} after the update`).toEqual(Array.from(p.value.contiguousData()));
      });
    }
    await engine.close();
  });

  it("the page has the trainer's NaN guard: a non-finite step changes nothing and the run gives up after nanPatience", async () => {
    const page = await pageTrainer({ lr: Number.MAX_VALUE });
    const reports = [];
    for (let i = 0; i < page.stepper.recipe.nanPatience + 2; i++) {
      const report = await page.runStep();
      reports.push(report);
      if (report.gaveUp) break;
    }
    // the first update at lr = MAX_VALUE makes the weights infinite; every step after it is
    // non-finite and skipped, until the streak reaches nanPatience
    const skipped = reports.filter((r) => !r.finite);
    expect(skipped.length).toBe(page.stepper.recipe.nanPatience);
    expect(reports.at(-1)!.gaveUp).toBe(true);
  });
});
