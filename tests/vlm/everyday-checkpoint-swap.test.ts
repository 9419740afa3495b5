/**
 * A checkpoint swap killed between its two renames (model/atomic-folder.ts): DIR has been
 * renamed to `.DIR.old-<pid>-*` and the new folder not yet to DIR. The kill is simulated by doing
 * the first rename by hand. Before, every command said "no such folder" though the old folder
 * held the checkpoint whole, and the `.tmp-*` / `.old-*` folders kills leave were never removed.
 * Now the next load restores it (and says so), and the next successful save cleans up.
 */

import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { Generator } from "../../packages/tensor/src/index.js";
import { removeLeftovers } from "../../packages/vlm/src/model/atomic-folder.js";
import { CLIP, loadCheckpoint, parseModelConfig, readCheckpointConfig, saveCheckpoint } from "../../packages/vlm/src/model/index.js";
import { trainClip } from "../../packages/vlm/src/train/index.js";
import { cliWorkspace, duet } from "./cli-helpers.js";
import { tempDir, tinyRun } from "./train-helpers.js";

/** No process has this pid (Linux's pid_max is at most 2^22). */
const DEAD_PID = 99_999_999;

let kills = 0;

/** The first rename of a swap, as a save killed right after it leaves the folder. */
function killBetweenRenames(dir: string, pid = DEAD_PID): string {
  kills++;
  const old = join(dirname(dir), `.${basename(dir)}.old-${pid}-k1ll3d${kills}`);
  renameSync(dir, old);
  // the new folder, written and flushed, waiting for its rename
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${pid}-n3wf0ld${kills}`);
  mkdirSync(tmp);
  writeFileSync(join(tmp, "config.json"), "{}");
  return old;
}

const tiny = () =>
  new CLIP(parseModelConfig({ embed_dim: 8, vision_cfg: { image_size: 16, layers: 1, width: 16, patch_size: 8, head_width: 8 }, text_cfg: { context_length: 8, vocab_size: 600, width: 8, heads: 2, layers: 1 } }), { generator: new Generator(3) });

describe("a checkpoint swap killed between its two renames", () => {
  it("is restored by the next load, which says so", () => {
    const dir = join(tempDir("swap"), "checkpoint");
    const model = tiny();
    saveCheckpoint(dir, model);
    const old = killBetweenRenames(dir);
    expect(existsSync(dir)).toBe(false);
    const notes: string[] = [];
    const loaded = loadCheckpoint(dir, { onRestore: (line) => notes.push(line) });
    expect(notes).toEqual([`${dir} was missing: a save was interrupted between its two renames; restored the previous checkpoint from ${basename(old)}`]);
    expect(existsSync(old)).toBe(false);
    expect(Array.from(loaded.model.param("logit_scale").value.contiguousData())).toEqual(Array.from(model.param("logit_scale").value.contiguousData()));
    // readCheckpointConfig (the first thing some commands read) restores too
    killBetweenRenames(dir);
    expect(readCheckpointConfig(dir, { onRestore: () => undefined }).layout).toBe("duet");
  });

  it("through the CLI: the command works and the restore is reported on stderr", async () => {
    const work = cliWorkspace("swap-cli");
    killBetweenRenames(work.duetCheckpoint);
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
    try {
      const result = await duet("embed", "--checkpoint", work.duetCheckpoint, "--text", "a cat", "--json");
      expect(result.code, result.stderr.join("\n")).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual([expect.stringMatching(/^duet: warning: .*duet-checkpoint was missing: a save was interrupted between its two renames; restored the previous checkpoint from \.duet-checkpoint\.old-\d+-k1ll3d\d+\n$/)]);
  });

  it("an empty .old-* folder (no config) is not restored; the loader names it", () => {
    const root = tempDir("swap-empty");
    const dir = join(root, "checkpoint");
    mkdirSync(join(root, `.checkpoint.old-${DEAD_PID}-empty`));
    expect(() => loadCheckpoint(dir, { onRestore: () => undefined })).toThrow(/no such checkpoint folder; a save was interrupted and left the previous checkpoint in .*\.checkpoint\.old-99999999-empty/);
  });

  it("train --resume restores the run's checkpoint and continues; the next save removes the leftovers", async () => {
    const run = tempDir("swap-run");
    await trainClip(await tinyRun(run, { steps: 2 }));
    killBetweenRenames(join(run, "checkpoint"));
    // a leftover of a live writer (this test's parent process) must stay
    const live = join(run, `.checkpoint.tmp-${process.ppid}-l1ve`);
    mkdirSync(live);
    const warnings: string[] = [];
    const resumed = await trainClip(await tinyRun(run, { steps: 4, resume: run, extend: true }), { onLog: (line, level) => level === "warn" && warnings.push(line) });
    expect(resumed.steps).toBe(4);
    expect(warnings).toContainEqual(expect.stringMatching(/checkpoint was missing: a save was interrupted between its two renames; restored the previous checkpoint from \.checkpoint\.old-99999999-k1ll3d\d+/));
    expect(readdirSync(run).filter((name) => name.startsWith(".checkpoint.")).sort()).toEqual([basename(live)]);
  });

  it("removeLeftovers keeps folders of live processes and other names", () => {
    const root = tempDir("leftovers");
    const dir = join(root, "ckpt");
    for (const name of [`.ckpt.tmp-${DEAD_PID}-a1`, `.ckpt.old-${DEAD_PID}-b2`, `.ckpt.tmp-${process.ppid}-c3`, `.ckpt2.tmp-${DEAD_PID}-d4`, ".ckpt.notes"]) mkdirSync(join(root, name));
    expect(removeLeftovers(dir)).toBe(2);
    expect(readdirSync(root).sort()).toEqual([`.ckpt.notes`, `.ckpt.tmp-${process.ppid}-c3`, `.ckpt2.tmp-${DEAD_PID}-d4`]);
  });
});
