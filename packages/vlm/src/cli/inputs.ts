/**
 * What several commands read: a checkpoint (a Duet or an open_clip folder), images preprocessed
 * as that checkpoint asks, and the `--data` argument, which names a manifest or the embedded
 * OpenMoji dataset (`openmoji`, `openmoji:test`, ...).
 */

import { existsSync, readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { stack, type Tensor } from "@duet/tensor";
import { readImage } from "../image/index.js";
import { loadCheckpoint, type LoadedCheckpoint } from "../model/index.js";
import type { SplitName } from "../data/index.js";
import { UsageError } from "./args.js";

/** Loads `--checkpoint`: a missing folder is a usage error; a broken one a ModelError (both exit 2). */
export function openCheckpoint(command: string, path: string): LoadedCheckpoint {
  if (!existsSync(path)) throw new UsageError(`duet ${command}: --checkpoint ${path}: no such folder`);
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

/** `--data openmoji[:split]`: the embedded dataset and a split ("all" for every emoji). */
export interface OpenMojiSpec {
  kind: "openmoji";
  split: SplitName | "all";
}

/** Parses `--data`: "openmoji" or "openmoji:SPLIT", else a path (returned as a file spec). */
export function dataSpec(command: string, value: string, defaultSplit: SplitName | "all"): OpenMojiSpec | { kind: "file"; path: string } {
  const match = /^openmoji(?::(.*))?$/i.exec(value);
  if (match === null) return { kind: "file", path: value };
  const split = match[1] ?? defaultSplit;
  if (split !== "train" && split !== "val" && split !== "test" && split !== "all") {
    throw new UsageError(`duet ${command}: --data ${value}: the OpenMoji split must be train, val, test or all, got "${split}"`);
  }
  return { kind: "openmoji", split };
}
