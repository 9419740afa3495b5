/**
 * The `temperature` training option (recipe.ts TemperatureMode), which the temperature lesson
 * sweeps: "learned" clamps logit_scale to ln 100 after every update, "learned-unclamped"
 * leaves it free, "fixed" never moves it. A tiny model, a handful of emojis, a few steps.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_LOGIT_SCALE, trainClip, TrainError } from "../../packages/vlm/src/index.js";
import { tempDir, tinyModel, tinyRun } from "./train-helpers.js";

/** A tiny model whose logit scale starts at `init` (ln of the inverse temperature). */
function startingAt(init: number) {
  return { ...tinyModel(), init_logit_scale: init };
}

describe("trainClip temperature", () => {
  it('"learned" pulls a scale started above ln 100 back to the clamp; "learned-unclamped" leaves it above', async () => {
    const above = MAX_LOGIT_SCALE + 0.5;
    const clamped = await trainClip(await tinyRun(tempDir("temp-clamped"), { model: startingAt(above), steps: 2 }));
    expect(clamped.model.logitScale.value.data[0]).toBeLessThanOrEqual(MAX_LOGIT_SCALE);
    const free = await trainClip(await tinyRun(tempDir("temp-free"), { model: startingAt(above), steps: 2, temperature: "learned-unclamped" }));
    // two AdamW steps at lr 2e-3 move it by at most ~4e-3, nowhere near the 0.5 the clamp would take off
    expect(free.model.logitScale.value.data[0]).toBeGreaterThan(MAX_LOGIT_SCALE + 0.4);
    expect(free.run.temperature).toBe("learned-unclamped");
  });

  it('"fixed" keeps the scale at its initial value, bit for bit, while the rest trains', async () => {
    const init = Math.log(30);
    const out = tempDir("temp-fixed");
    const result = await trainClip(await tinyRun(out, { model: startingAt(init), steps: 3, lr: 0.05, temperature: "fixed" }));
    expect(result.model.logitScale.value.data[0]).toBe(Math.fround(init));
    const lines = readFileSync(join(out, "train_log.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { logit_scale: number; loss: number });
    expect(lines.map((l) => l.logit_scale)).toEqual(lines.map(() => Math.exp(Math.fround(init))));
    // the rest of the model did train: the loss moved
    expect(lines[0]!.loss).not.toBe(lines.at(-1)!.loss);
  });

  it("is checked, saved with the run, and may not change on resume", async () => {
    await expect(trainClip(await tinyRun(tempDir("temp-bad"), { temperature: "frozen" as never }))).rejects.toThrow(/temperature must be "learned", "learned-unclamped" or "fixed", got "frozen"/);
    const out = tempDir("temp-resume");
    await trainClip(await tinyRun(out, { steps: 2, temperature: "fixed" }));
    const state = JSON.parse(readFileSync(join(out, "checkpoint", "train_state.json"), "utf8")) as { config: { temperature: string } };
    expect(state.config.temperature).toBe("fixed");
    const resumed = trainClip(await tinyRun(tempDir("temp-resume-2"), { resume: out, model: undefined, steps: 2, temperature: "learned" }));
    await expect(resumed).rejects.toThrow(TrainError);
    await expect(resumed).rejects.toThrow(/temperature = "fixed", but temperature = "learned"/);
  });
});
