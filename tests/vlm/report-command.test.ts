/**
 * `duet report RUN`: the report of any run folder. A real `duet train` run that evaluated (a
 * few tiny steps) gets its validation curves; hand-written folders check what is read (a line
 * cut short by a kill is left out, a malformed one named) and what is never replaced.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { RUN_SECTIONS } from "../../packages/vlm/src/report/index.js";
import { duet } from "./cli-helpers.js";
import { tempFolder } from "./data-helpers.js";

const work = tempFolder("report-command");

/** A run folder by hand: `steps` lines of train log, evaluations at `evalSteps`, the checkpoint's two JSON files. */
function handRun(name: string, steps: number, evalSteps: number[], extra = ""): string {
  const dir = join(work.dir, name);
  mkdirSync(join(dir, "checkpoint"), { recursive: true });
  const lines = Array.from({ length: steps }, (_, i) => JSON.stringify({ step: i + 1, epoch: i / 10, loss: 5 - i / 50, lr: 1e-3, logit_scale: 14.3, grad_norm: 1, samples_per_s: 100, time: i }));
  writeFileSync(join(dir, "train_log.jsonl"), `${lines.join("\n")}\n${extra}`);
  writeFileSync(join(dir, "eval_log.jsonl"), evalSteps.map((step) => `${JSON.stringify({ step, data: "captions.csv", images: 30, texts: 30, val_loss: 3 - step / 100, "text_to_image_R@5": 0.2, "chance_R@5": 5 / 30 })}\n`).join(""));
  writeFileSync(join(dir, "checkpoint", "config.json"), JSON.stringify({ embed_dim: 16 }));
  writeFileSync(join(dir, "checkpoint", "train_state.json"), JSON.stringify({ step: steps, elapsed_seconds: 42, config: { model: "tiny", data: "captions.csv (30 pairs)", steps, batchSize: 8 } }));
  return dir;
}

describe("duet report on a run duet train wrote", () => {
  let run: string;
  beforeAll(async () => {
    run = join(work.dir, "trained");
    const trained = await duet("train", "--out", run, "--steps", "4", "--warmup", "1", "--batch-size", "16", "--threads", "1", "--checkpoint-every", "0", "--eval-every", "2");
    expect(trained.code, trained.stderr.join("\n")).toBe(0);
  }, 180_000);

  it("writes RUN/report.html with the run's sections and the validation curve of eval_log.jsonl", async () => {
    const made = await duet("report", run, "--json");
    expect(made.code, made.stderr.join("\n")).toBe(0);
    const evaluations = readFileSync(join(run, "eval_log.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { step: number; val_loss: number });
    expect(evaluations.map((e) => e.step)).toEqual([2, 4]);
    expect(made.json()).toEqual({ report: join(run, "report.html"), steps: 4, evaluations: 2 });
    const html = readFileSync(join(run, "report.html"), "utf8");
    for (const id of RUN_SECTIONS) expect(html, id).toContain(`<section id="${id}">`);
    expect(html).toContain(`aria-label="validation loss"`);
    expect(html).toContain(`aria-label="retrieval and zero-shot"`);
    expect(html).toContain("openmoji:val");
    expect(html).not.toMatch(/<script|<link |@import|url\(http/);
    expect(html).toContain("CC BY-SA 4.0"); // trained on OpenMoji: its attribution
    // its own report is replaced on the next run
    expect((await duet("report", run)).code).toBe(0);
  });
});

describe("duet report on hand-made folders", () => {
  it("leaves out a last line cut short by a kill, and names a malformed line", async () => {
    const cut = handRun("cut", 30, [10, 20, 30], `{"step": 31, "loss": 4.`);
    const made = await duet("report", cut, "--json");
    expect(made.code, made.stderr.join("\n")).toBe(0);
    expect(made.json()).toMatchObject({ steps: 30, evaluations: 3 });
    const html = readFileSync(join(cut, "report.html"), "utf8");
    expect(html).toContain("captions.csv (30 pairs)");
    expect(html).not.toContain("CC BY-SA"); // not OpenMoji: no attribution to give
    const broken = handRun("broken", 30, [10], `{"step": 31, "loss": 4.\n{"step": 32}\n`);
    const refused = await duet("report", broken);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toEqual([expect.stringMatching(/train_log\.jsonl, line 31: not valid JSON/)]);
  });

  it("without evaluations says how to get them", async () => {
    const plain = handRun("plain", 12, []);
    expect((await duet("report", plain, "--out", join(work.dir, "plain.html"))).code).toBe(0);
    expect(readFileSync(join(work.dir, "plain.html"), "utf8")).toContain("No evaluation ran during training");
  });

  it("refuses what is not a run, and never replaces a file it did not write (the demo's fuller report included)", async () => {
    const notRun = join(work.dir, "photos");
    mkdirSync(notRun, { recursive: true });
    writeFileSync(join(notRun, "cat.jpg"), "x");
    const cases: [string[], RegExp][] = [
      [["report"], /give the run folder/],
      [["report", join(work.dir, "nope")], /no such folder/],
      [["report", notRun], /not a training run folder/],
    ];
    for (const [args, message] of cases) {
      const r = await duet(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toEqual([expect.stringMatching(message)]);
    }
    const demoRun = handRun("demo-like", 10, []);
    const demoReport = `<!DOCTYPE html><html><head><meta name="generator" content="duet demo"></head></html>`;
    writeFileSync(join(demoRun, "report.html"), demoReport);
    const kept = await duet("report", demoRun);
    expect(kept.code).toBe(2);
    expect(kept.stderr[0]).toMatch(/report\.html is the report duet demo wrote .*nothing was changed\. Give --out FILE/);
    expect(readFileSync(join(demoRun, "report.html"), "utf8")).toBe(demoReport);
    const notes = join(work.dir, "notes.html");
    writeFileSync(notes, "my notes");
    expect((await duet("report", demoRun, "--out", notes)).code).toBe(2);
    expect(readFileSync(notes, "utf8")).toBe("my notes");
    expect((await duet("report", demoRun, "--out", join(work.dir, "demo-like.html"))).code).toBe(0);
    expect(existsSync(join(work.dir, "demo-like.html"))).toBe(true);
  });
});
