/**
 * A training run's folder, read for its report: what `duet train --out DIR` (and `duet demo`)
 * leave there, turned into the report's data. One builder, so `duet report` and the demo's
 * report read a run the same way.
 *
 *   DIR/train_log.jsonl               one line per step: step, loss, lr, logit_scale, … (skipped
 *                                     steps, marked "skipped", are left out of the curves)
 *   DIR/eval_log.jsonl                one line per evaluation: step, data, val_loss, retrieval,
 *                                     zero-shot (optional: a run may not have evaluated)
 *   DIR/checkpoint/config.json        the model's config
 *   DIR/checkpoint/train_state.json   the steps done, the seconds spent, the run's settings
 *
 * A line cut short (a run killed while writing it) is left out; anything else malformed is a
 * DataError naming the file and the line.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DataError } from "../data/errors.js";
import { OPENMOJI_ATTRIBUTION_HTML } from "../data/openmoji/attribution.js";
import type { ReportData } from "./report.js";
import type { EvalPoint, StepPoint } from "./run-charts.js";

const OP = "duet report";
export const TRAIN_LOG = "train_log.jsonl";
export const EVAL_LOG = "eval_log.jsonl";

/** Whether `dir` looks like a run folder (a train log, or a training checkpoint). */
export function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, TRAIN_LOG)) || existsSync(join(dir, "checkpoint", "train_state.json"));
}

/** The JSON objects of a JSONL file, one a line; a last line cut short is dropped. */
function readJsonl(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  const records: Record<string, unknown>[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (lines.slice(i + 1).every((rest) => rest.trim() === "")) return; // the run was killed mid-line
      throw new DataError(OP, "not valid JSON", { file: path, line: i + 1 });
    }
    if (value === null || typeof value !== "object" || Array.isArray(value) || typeof (value as { step?: unknown }).step !== "number") {
      throw new DataError(OP, `expected a JSON object with a "step" number`, { file: path, line: i + 1 });
    }
    records.push(value as Record<string, unknown>);
  });
  return records;
}

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch (error) {
    throw new DataError(OP, `not valid JSON: ${(error as Error).message}`, { file: path });
  }
}

/** Everything of a report that the run folder `dir` tells (title, time and generator are the caller's). */
export function readRunFolder(dir: string): Omit<ReportData, "title" | "generatedAt" | "generator"> {
  const number = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : NaN);
  const trainLines = readJsonl(join(dir, TRAIN_LOG));
  const steps: StepPoint[] = trainLines
    .filter((line) => line["skipped"] !== true)
    .map((line) => ({ step: line["step"] as number, loss: number(line["loss"]), lr: number(line["lr"]), logitScale: number(line["logit_scale"]) }));
  const evalLines = readJsonl(join(dir, EVAL_LOG));
  const evals: EvalPoint[] = evalLines.map((line) => ({
    step: line["step"] as number,
    metrics: Object.fromEntries(Object.entries(line).filter(([key, v]) => key !== "step" && typeof v === "number")) as Record<string, number>,
  }));
  const evalData = evalLines.map((line) => line["data"]).find((d): d is string => typeof d === "string");
  const state = readJson(join(dir, "checkpoint", "train_state.json"));
  const settings = (state?.["config"] ?? {}) as Record<string, unknown>;
  const modelConfig = readJson(join(dir, "checkpoint", "config.json")) ?? {};
  const stepsDone = typeof state?.["step"] === "number" ? state["step"] : (steps.at(-1)?.step ?? 0);
  const trainSeconds = typeof state?.["elapsed_seconds"] === "number" ? state["elapsed_seconds"] : number(trainLines.at(-1)?.["time"]);
  const dataset = typeof settings["data"] === "string" ? settings["data"] : "the training data";
  const openMoji = /openmoji/i.test(`${dataset} ${evalData ?? ""}`);
  return {
    dataset,
    steps,
    evals,
    ...(evalData === undefined ? {} : { evalData }),
    modelConfig,
    trainConfig: { ...settings, steps_done: stepsDone },
    wallTime: Number.isFinite(trainSeconds) ? { train: trainSeconds } : {},
    ...(openMoji ? { attributionHtml: OPENMOJI_ATTRIBUTION_HTML } : {}),
  };
}
