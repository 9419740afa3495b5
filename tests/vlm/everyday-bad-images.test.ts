/**
 * Bad images in a caption manifest are found before training starts: every image is decoded
 * once (data/image-check.ts), and a bad one stops the run before its first step, named with
 * its manifest line; `--skip-bad-images` leaves those rows out and counts them. Before, images
 * were decoded per batch: a broken one partway through aborted training at that step (every
 * time, on resume too), and the error named the image, not the manifest line.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findBadImages } from "../../packages/vlm/src/data/image-check.js";
import { cliWorkspace, duet, TINY_MODEL_JSON } from "./cli-helpers.js";

const work = cliWorkspace("bad-images");
const config = work.write("tiny.json", TINY_MODEL_JSON);
const png = readFileSync(work.images[0]!);
work.write("images/broken.png", "this is no image at all");
work.write("images/truncated.png", png.subarray(0, Math.floor(png.length / 2)));
// lines 3 and 5 are bad; chelsea.png is named twice (decoded once)
const manifest = work.write(
  "bad.csv",
  "filepath,title\nimages/astronaut.png,an astronaut\nimages/broken.png,a broken file\nimages/coffee.png,a cup of coffee\nimages/truncated.png,half an astronaut\nimages/chelsea.png,a tabby cat\nimages/chelsea.png,a cat looking up\n",
);
const train = (out: string, ...more: string[]) =>
  duet("train", "--data", manifest, "--model", config, "--out", join(work.dir, out), "--steps", "2", "--warmup", "0", "--batch-size", "3", "--threads", "1", "--json", ...more);

describe("a manifest with bad images", () => {
  it("stops duet train before its first step, naming the manifest, the lines and the files (exit 2, one line)", async () => {
    const result = await train("run-bad");
    expect(result.code).toBe(2);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(
      /^duet: trainClip: data: 2 of the 6 rows of .*bad\.csv have an image that cannot be used: line 3: images\/broken\.png: .+; line 5: images\/truncated\.png: .+; fix or remove those rows, or skip them with skipBadImages \(duet train --skip-bad-images\)$/,
    );
    expect(existsSync(join(work.dir, "run-bad", "train_log.jsonl"))).toBe(false); // not a step was taken
  });

  it("--skip-bad-images trains on the good rows, says which were left out, and a resume skips them again", async () => {
    const result = await train("run-skip", "--skip-bad-images");
    expect(result.code, result.stderr.join("\n")).toBe(0);
    expect(result.stderr).toContainEqual(expect.stringMatching(/^warning: data: skipped 2 rows whose image cannot be used: line 3: images\/broken\.png \(.+\); line 5: images\/truncated\.png \(.+\)$/));
    const summary = result.json<{ steps: number; run: { data: string; dataSpec: { skipBadImages: boolean } } }>();
    expect(summary.steps).toBe(2);
    expect(summary.run.data).toMatch(/bad\.csv \(4 pairs at 16px; 2 rows with a bad image skipped\)$/);
    expect(summary.run.dataSpec.skipBadImages).toBe(true);
    const out = join(work.dir, "run-skip");
    const resumed = await duet("train", "--resume", out, "--out", out, "--steps", "3", "--extend", "--threads", "1", "--json");
    expect(resumed.code, resumed.stderr.join("\n")).toBe(0);
    expect(resumed.json<{ run: { data: string } }>().run.data).toBe(summary.run.data);
  });

  it("--skip-bad-images also leaves out rows whose file is missing (without it, the manifest error names the line)", async () => {
    const missing = work.write("missing.csv", "filepath,title\nimages/astronaut.png,an astronaut\nimages/nowhere.png,nothing\nimages/coffee.png,coffee\nimages/chelsea.png,a cat\n");
    const refused = await duet("train", "--data", missing, "--model", config, "--out", join(work.dir, "run-missing"), "--steps", "1", "--batch-size", "3", "--threads", "1");
    expect(refused.code).toBe(2);
    expect(refused.stderr.at(-1)).toMatch(/missing\.csv, line 3/);
    const skipped = await duet("train", "--data", missing, "--model", config, "--out", join(work.dir, "run-missing-2"), "--steps", "1", "--batch-size", "3", "--threads", "1", "--skip-bad-images");
    expect(skipped.code, skipped.stderr.join("\n")).toBe(0);
    expect(skipped.stderr).toContainEqual(expect.stringMatching(/skipped 1 row whose image cannot be used: line 3: images\/nowhere\.png \(cannot read the file \(ENOENT\)\)/));
  });

  it("--skip-bad-images is for a manifest", async () => {
    const result = await duet("train", "--out", join(work.dir, "never"), "--skip-bad-images");
    expect(result.code).toBe(2);
    expect(result.stderr).toEqual([expect.stringMatching(/--skip-bad-images is for a caption manifest/)]);
  });
});

describe("findBadImages", () => {
  it("decodes each distinct image once, reports progress, and returns every line naming a bad one", async () => {
    const img = (name: string) => join(work.dir, "images", name);
    const records = [
      { image: img("astronaut.png"), line: 2 },
      { image: img("broken.png"), line: 3 },
      { image: img("broken.png"), line: 4 },
      { image: img("truncated.png"), line: 9 },
    ];
    const progress: [number, number][] = [];
    const bad = await findBadImages(records, { onProgress: (done, total) => progress.push([done, total]) });
    expect(progress).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(bad.map((b) => [b.line, b.image])).toEqual([[3, img("broken.png")], [4, img("broken.png")], [9, img("truncated.png")]]);
    for (const b of bad) expect(b.problem).not.toContain(b.image); // the caller names the file
  });
});
