/**
 * Zero-shot classes of OpenMoji: its subgroups, as words ("animal-mammal" -> "animal mammal").
 * No training caption is built from them (see captions.ts), so classifying an emoji by its
 * subgroup tests whether the model learned the concept from annotations and tags alone.
 */

import { EMOJI_TEMPLATES } from "../prompt-template.js";
import type { OpenMojiItem } from "./metadata.js";

/** Prompts for the class names: the emoji set, which every zero-shot on emoji data shares (../prompt-template.ts). */
export const ZERO_SHOT_TEMPLATES: readonly string[] = EMOJI_TEMPLATES;

/** "animal-mammal" -> "animal mammal". */
export function subgroupWords(subgroup: string): string {
  return subgroup.split("-").join(" ");
}

export interface ZeroShotClasses {
  /** Class names as words, in order of first appearance in the items. */
  readonly classes: readonly string[];
  /** The class index of each item. */
  readonly labels: Int32Array;
}

/** The subgroups of `items` as zero-shot classes. Subgroups that read the same as words merge. */
export function openMojiClasses(items: readonly OpenMojiItem[]): ZeroShotClasses {
  const index = new Map<string, number>();
  const labels = new Int32Array(items.length);
  items.forEach((item, i) => {
    const name = subgroupWords(item.subgroup);
    let label = index.get(name);
    if (label === undefined) {
      label = index.size;
      index.set(name, label);
    }
    labels[i] = label;
  });
  return { classes: [...index.keys()], labels };
}
