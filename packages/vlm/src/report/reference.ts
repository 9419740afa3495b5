/**
 * The PyTorch reference run, side by side with Duet's: a tools/ script trains the demo's exact
 * config with open_clip and writes its metrics as JSON. The report reads it when it is there,
 * and says "not run" when it is not. The reader is lenient about the shape — the metrics may
 * sit at the top level or under "zeroshot" / "retrieval" / "metrics" / "test" — because the
 * keys that matter are open_clip's own names:
 *
 *   top1, top5 (or zeroshot_top1 ...), image_to_text_R@1/5/10, text_to_image_R@1/5/10,
 *   and optionally wall_time_s (a number, or {"total": ...}), steps, batch_size, source.
 */

import { existsSync, readFileSync } from "node:fs";

export interface ReferenceRun {
  /** Where it was read from. */
  path: string;
  /** The metrics found, under the report's names (see REFERENCE_METRICS). */
  metrics: Partial<Record<ReferenceMetric, number>>;
  wallTimeSeconds?: number;
  steps?: number;
  batchSize?: number;
  seed?: number;
  /** The data of the run it replays (source_run.data), e.g. "OpenMoji train (3564 emojis at 32px)". */
  data?: string;
  /** A free-form description, e.g. "open_clip 3.3.0, PyTorch 2.13, 2 threads". */
  description?: string;
}

export const REFERENCE_METRICS = [
  "zeroshot_top1",
  "zeroshot_top5",
  "text_to_image_R@1",
  "text_to_image_R@5",
  "text_to_image_R@10",
  "image_to_text_R@1",
  "image_to_text_R@5",
  "image_to_text_R@10",
] as const;

export type ReferenceMetric = (typeof REFERENCE_METRICS)[number];

/** Flattens nested objects to "a.b.c" keys with number values. */
function flatten(value: unknown, prefix = "", out = new Map<string, number>()): Map<string, number> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (typeof value === "number" && Number.isFinite(value)) {
    out.set(prefix, value);
  }
  return out;
}

function find(flat: Map<string, number>, names: readonly string[]): number | undefined {
  for (const name of names) {
    if (flat.has(name)) return flat.get(name);
    for (const [key, value] of flat) if (key.endsWith(`.${name}`) && !key.includes("chance")) return value;
  }
  return undefined;
}

/** Reads a reference run's JSON; undefined when the file does not exist or holds no metric. */
export function readReferenceRun(path: string): ReferenceRun | undefined {
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  const flat = flatten(json);
  const metrics: ReferenceRun["metrics"] = {};
  for (const name of REFERENCE_METRICS) {
    const candidates = name.startsWith("zeroshot_")
      ? [name, `zeroshot.${name.slice(9)}`, `zero_shot.${name.slice(9)}`, `zeroshot_${name.slice(9)}`, name.slice(9)]
      : [name];
    const value = find(flat, candidates);
    if (value !== undefined) metrics[name] = value;
  }
  if (Object.keys(metrics).length === 0) return undefined;
  const object = (json ?? {}) as Record<string, unknown>;
  const description = typeof object["description"] === "string" ? object["description"] : typeof object["source"] === "string" ? object["source"] : undefined;
  return {
    path,
    metrics,
    wallTimeSeconds: find(flat, ["wall_time_s.total", "wall_time_s", "wall_time_seconds", "wall_time.total", "wall_time"]),
    steps: find(flat, ["steps", "train.steps"]),
    batchSize: find(flat, ["batch_size", "train.batch_size"]),
    seed: find(flat, ["seed", "train.seed"]),
    ...(typeof (object["source_run"] as { data?: unknown } | undefined)?.data === "string" ? { data: (object["source_run"] as { data: string }).data } : {}),
    ...(description === undefined ? {} : { description }),
  };
}
