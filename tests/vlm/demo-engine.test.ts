/**
 * `duet demo --engine`: the engine tour writes DIR/metrics.json into a folder it claims (default
 * runs/engine), and refuses a folder that holds something else — a demo's run folder kept its
 * own metrics.json, which the tour used to overwrite.
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OUT_MARKER } from "../../packages/vlm/src/cli/out-dir.js";
import { duet } from "./cli-helpers.js";

const root = mkdtempSync(join(tmpdir(), "duet-engine-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("duet demo --engine", () => {
  it("writes metrics.json with every check passed into a new folder, marked as the engine tour's", async () => {
    const out = join(root, "tour");
    const r = await duet("demo", "--engine", "--out", out, "--json");
    expect(r.code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as { matmul: { max_abs_diff: number }; softmax: { max_rel_error: number } };
    expect(r.json()).toEqual(metrics);
    expect(metrics.matmul.max_abs_diff).toBeLessThan(1e-3);
    expect(metrics.softmax.max_rel_error).toBeLessThanOrEqual(2e-7);
    expect(JSON.parse(readFileSync(join(out, OUT_MARKER), "utf8")).kind).toBe("engine");
    // a second tour into its own folder is fine
    expect((await duet("demo", "--engine", "--out", out, "--json")).code).toBe(0);
  });

  it("refuses a demo's run folder and leaves its metrics.json alone", async () => {
    const run = join(root, "demo-run");
    // --help creates nothing
    expect((await duet("demo", "--engine", "--out", join(root, "unused"), "--help")).code).toBe(0);
    // a run folder as duet demo leaves it: its marker and its metrics
    mkdirSync(run);
    writeFileSync(join(run, OUT_MARKER), JSON.stringify({ kind: "run" }));
    writeFileSync(join(run, "metrics.json"), '{"the":"demo"}\n');
    const r = await duet("demo", "--engine", "--out", run);
    expect(r.code).toBe(2);
    expect(r.stderr.join("\n")).toMatch(/duet demo: --out .*demo-run: holds a Duet run folder; nothing was changed/);
    expect(readFileSync(join(run, "metrics.json"), "utf8")).toBe('{"the":"demo"}\n');
    expect(existsSync(join(root, "unused"))).toBe(false);
  });
});
