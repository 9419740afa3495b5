/**
 * What several commands read: a checkpoint (a Duet or an open_clip folder), images preprocessed
 * as that checkpoint asks, the `--data` argument, which names a manifest or the embedded
 * OpenMoji dataset (`openmoji`, `openmoji:test`, ...), and prompt templates (`--templates`).
 */

import { existsSync, readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { readRegularFile } from "@duet/nn/node";
import { stack, type Tensor } from "@duet/tensor";
import { readImage } from "../image/index.js";
import { restoreCheckpoint } from "../model/checkpoint.js";
import { loadCheckpoint, type LoadedCheckpoint } from "../model/index.js";
import { EMOJI_STYLES, readTemplates, type EmojiStyle, type SplitName } from "../data/index.js";
import { isTemplateSetName, TEMPLATE_SETS, type TemplateSetName } from "../data/prompt-template.js";
import { existingFile, UsageError } from "./args.js";

/** Loads `--checkpoint`: a missing folder is a usage error; a broken one a ModelError (both exit 2). */
export function openCheckpoint(command: string, path: string): LoadedCheckpoint {
  // a folder that a save killed between its two renames left in .DIR.old-* is put back, and said so
  const onRestore = (line: string) => void process.stderr.write(`duet: warning: ${line}\n`);
  if (!existsSync(path) && !restoreCheckpoint(path, { onRestore })) throw new UsageError(`duet ${command}: --checkpoint ${path}: no such folder`);
  return loadCheckpoint(path);
}

/** Image files as the checkpoint's input tensor (N, 3, S, S). */
export function loadImages(checkpoint: LoadedCheckpoint, paths: readonly string[]): Tensor {
  return stack(paths.map((path) => checkpoint.preprocessImage(readImage(path))));
}

/** The L2-normalised (N, D) rows of a Tensor as plain arrays. */
export function rows(features: Tensor): number[][] {
  const [n, d] = features.shape as [number, number];
  const data = features.contiguousData();
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
}

/** exp(logit_scale): the multiplier of cosine similarities (open_clip's forward returns it so). */
export function logitScaleOf(checkpoint: LoadedCheckpoint): number {
  return Math.exp(checkpoint.model.logitScale.value.contiguousData()[0]!);
}

export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"];

/** Image files under a folder, recursively, in sorted path order. */
export function imagesUnder(folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".")) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (IMAGE_EXTENSIONS.includes(extname(name).toLowerCase())) found.push(path);
    }
  };
  walk(folder);
  return found;
}

/**
 * `--data ID[:split]` for the embedded emojis: `openmoji`, `noto` or `fluent` (one drawing
 * style), or `emoji` (all three), and a split ("all" for every emoji).
 */
export interface OpenMojiSpec {
  kind: "openmoji";
  split: SplitName | "all";
  /** The dataset id as given, in lower case. */
  id: "emoji" | EmojiStyle;
  styles: EmojiStyle[];
}

/** Parses `--data`: "openmoji", "noto", "fluent" or "emoji", each optionally ":SPLIT", else a path (returned as a file spec). */
export function dataSpec(command: string, value: string, defaultSplit: SplitName | "all"): OpenMojiSpec | { kind: "file"; path: string } {
  const match = /^(openmoji|noto|fluent|emoji)(?::(.*))?$/i.exec(value);
  if (match === null) return { kind: "file", path: value };
  const id = match[1]!.toLowerCase() as OpenMojiSpec["id"];
  const split = match[2] ?? defaultSplit;
  if (split !== "train" && split !== "val" && split !== "test" && split !== "all") {
    throw new UsageError(`duet ${command}: --data ${value}: the split must be train, val, test or all, got "${split}"`);
  }
  return { kind: "openmoji", split, id, styles: id === "emoji" ? [...EMOJI_STYLES] : [id] };
}

/** The one drawing style of a dataset id, for commands that evaluate or list one style at a time. */
export function oneStyle(command: string, spec: OpenMojiSpec): EmojiStyle {
  if (spec.styles.length !== 1) throw new UsageError(`duet ${command}: --data ${spec.id}:${spec.split} holds three drawing styles; give one: openmoji, noto or fluent (e.g. noto:${spec.split})`);
  return spec.styles[0]!;
}

/** Prompt templates and what to call them in output: a set's name, or the file they came from. */
export interface Templates {
  name: string;
  templates: readonly string[];
}

/** `--templates`: a set's name (photo, emoji: ../data/prompt-template.ts) or a file, one a line or a JSON array. */
export function templatesFlag(command: string, value: string): Templates {
  if (isTemplateSetName(value)) return { name: value, templates: TEMPLATE_SETS[value] };
  return { name: value, templates: readTemplates(existingFile(command, "templates", value)) };
}

/** The data options that are emoji drawings (DESIGN §5's dataset ids). */
const EMOJI_DATA = ["openmoji", "noto", "fluent", "emoji"];

/**
 * The kind of data a checkpoint was trained on, when its folder says so: a Duet training
 * checkpoint's train_state.json names the run's data (an OpenMoji split or emoji style means
 * emoji). Anything else — an open_clip folder, an exported model, a file that cannot be read —
 * is taken for photos, open_clip's kind.
 */
export function trainedOn(checkpointDir: string): TemplateSetName {
  let config: { data?: unknown; dataSpec?: unknown } | undefined;
  try {
    config = (JSON.parse(readRegularFile(join(checkpointDir, "train_state.json")).toString("utf8")) as { config?: typeof config }).config;
  } catch {
    return "photo";
  }
  // the saved data option ({kind: "openmoji", split}), or its description ("OpenMoji train (3564 emojis at 32px)")
  const kind = (config?.dataSpec as { kind?: unknown } | null | undefined)?.kind;
  const emoji = (typeof kind === "string" && EMOJI_DATA.includes(kind)) || (typeof config?.data === "string" && /^(openmoji|noto|fluent|emoji)[ :+]/i.test(config.data));
  return emoji ? "emoji" : "photo";
}
