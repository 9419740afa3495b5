/** Shared by the CLI tests: run `duet` in-process and read what it printed; the fixtures' paths. */

import { copyFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { captureIo } from "../../packages/vlm/src/cli/io.js";
import { main } from "../../packages/vlm/src/cli/main.js";
import { loadCheckpoint, saveCheckpoint } from "../../packages/vlm/src/model/index.js";
import { tempFolder } from "./data-helpers.js";

export const CLIP_FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../fixtures/clip");
/** open_clip folders: CLIP's tokenizer (vit-gelu), and a synthetic 512-token vocabulary (vit-quickgelu). */
export const VIT_GELU = join(CLIP_FIXTURES, "vit-gelu");
export const VIT_QUICKGELU = join(CLIP_FIXTURES, "vit-quickgelu");
export const IMAGES = ["astronaut", "coffee", "chelsea"].map((name) => join(CLIP_FIXTURES, "images", `${name}.png`));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string[];
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

export async function duet(...argv: string[]): Promise<CliResult> {
  const io = captureIo();
  const code = await main(argv, io);
  const stdout = io.stdout.join("\n");
  return {
    code,
    stdout,
    stderr: io.stderr,
    json: <T>() => {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`duet ${argv.join(" ")}: stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${io.stderr.join("\n")}`);
      }
    },
  };
}

/**
 * A workspace with the fixture images, a caption manifest, a classification CSV and a Duet
 * checkpoint (vit-gelu's model saved in Duet's layout).
 */
export function cliWorkspace(prefix = "cli"): { dir: string; write: (name: string, content: string | Uint8Array) => string; images: string[]; pairs: string; labels: string; duetCheckpoint: string } {
  const folder = tempFolder(prefix);
  const images = IMAGES.map((path) => {
    const target = join(folder.dir, "images", path.slice(path.lastIndexOf("/") + 1));
    folder.write(`images/${path.slice(path.lastIndexOf("/") + 1)}`, "");
    copyFileSync(path, target);
    return target;
  });
  const pairs = folder.write("pairs.csv", "filepath,title\nimages/astronaut.png,an astronaut in a white suit\nimages/coffee.png,a cup of coffee\nimages/chelsea.png,a tabby cat\nimages/chelsea.png,a cat looking up\n");
  const labels = folder.write("labels.csv", "filepath,label\nimages/astronaut.png,person\nimages/coffee.png,drink\nimages/chelsea.png,cat\n");
  const duetCheckpoint = join(folder.dir, "duet-checkpoint");
  saveCheckpoint(duetCheckpoint, loadCheckpoint(VIT_GELU).model);
  return { ...folder, images, pairs, labels, duetCheckpoint };
}

/** A model config small enough for a CLI test to train in a second: 16-px ViT, one layer each, a 600-id BPE. */
export const TINY_MODEL_JSON = JSON.stringify({
  embed_dim: 16,
  vision_cfg: { image_size: 16, patch_size: 8, width: 16, layers: 1, head_width: 8 },
  text_cfg: { context_length: 12, vocab_size: 600, width: 16, heads: 2, layers: 1 },
  duet: { tokenizer: "tokenizer.json" },
});
