/**
 * Shared by the lessons' tests: synthetic runs (a lesson's points with metrics from a
 * function, no training), a fake trainer for the runner and the CLI, and a strict little XML
 * parser to prove the SVGs and the page are well-formed.
 */

import { lessonConfigs } from "../../packages/vlm/src/lessons/plan.js";
import { configHash } from "../../packages/vlm/src/lessons/cache.js";
import type { ExecuteRun } from "../../packages/vlm/src/lessons/run.js";
import type { Lesson, LessonPoint, LessonRun, Metrics, RunOutcome } from "../../packages/vlm/src/lessons/types.js";

export const PLAN_OPTIONS = { threads: 1, dataParallel: false, limit: 150 } as const;

/** Runs of every point × seed of `lesson`, their metrics from `metricsOf(point, seed)`. */
export function synthRuns(lesson: Lesson, metricsOf: (point: LessonPoint, seed: number) => Metrics, seeds = 3, points = lesson.points!): LessonRun[] {
  const configs = lessonConfigs(lesson, points, 4096, seeds, PLAN_OPTIONS);
  return configs.map((config) => {
    const point = points.find((p) => p.label === config.point)!;
    return {
      hash: configHash(config), lesson: lesson.name, point: config.point, seed: config.seed, config,
      metrics: metricsOf(point, config.seed), curves: { loss: [[1, 3], [2, 2.5]], logit_scale: [[1, 14.3], [2, 15]] },
      steps: config.training.steps, stopped: "steps", seconds: 1, finished: "2025-01-01T00:00:00.000Z",
    };
  });
}

/** A seed's jitter: -1, 0, +1 (× the spread asked for). */
export const jitter = (seed: number, spread: number) => ((seed % 3) - 1) * spread;

/** A fake trainer: counts its calls, returns an outcome whose R@5 grows with the config's batch and embed_dim. */
export function fakeTrainer(): { execute: ExecuteRun; calls: string[] } {
  const calls: string[] = [];
  const execute: ExecuteRun = async (config) => {
    calls.push(`${config.lesson}/${config.point}/${config.seed}`);
    const r5 = Math.min(0.9, 0.05 + 0.01 * Math.log2(config.training.batchSize) + 0.001 * Number(config.model["embed_dim"] ?? 64) + 0.002 * config.seed);
    const evals: RunOutcome["evals"] = {};
    for (const e of config.eval) {
      evals[`${e.style}:${e.split}`] = { "text_to_image_R@5": r5, "image_to_text_R@5": r5 + 0.01, "chance_R@5": 0.01, zeroshot_top1: r5 / 5, zeroshot_chance_top1: 1 / 119 };
    }
    return {
      steps: config.training.steps, stopped: "steps", finalLoss: 0.7 * Math.log(config.training.batchSize), logitScale: 20, maxLogitScale: 21, skippedSteps: 0, parameters: 1000,
      evals, curves: { loss: [[1, 4], [config.training.steps, 3]], logit_scale: [[1, 14.3], [config.training.steps, 20]] }, seconds: 0.5,
    };
  };
  return { execute, calls };
}

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

/**
 * Parses XML strictly (tags must nest and close, attributes must be quoted and unique, `&`
 * only in the five entities or a character reference, one root); throws naming the offset.
 * A leading `<!doctype ...>` is allowed (the page). Enough to prove a file well-formed.
 */
export function parseXml(text: string): XmlElement {
  let i = text.startsWith("<!doctype") ? text.indexOf(">") + 1 : 0;
  const stack: XmlElement[] = [{ name: "#document", attributes: {}, children: [] }];
  const fail = (why: string): never => {
    throw new Error(`parseXml: ${why} at offset ${i}: ${JSON.stringify(text.slice(Math.max(0, i - 40), i + 40))}`);
  };
  const checkText = (s: string) => {
    if (s.includes("<")) fail("a stray <");
    for (const m of s.matchAll(/&([^;]*);?/g)) if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(m[0])) fail(`a bad entity ${m[0]}`);
  };
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    if (lt < 0) {
      checkText(text.slice(i));
      break;
    }
    checkText(text.slice(i, lt));
    i = lt;
    if (text.startsWith("<!--", i)) {
      i = text.indexOf("-->", i) + 3;
      continue;
    }
    const gt = text.indexOf(">", i);
    if (gt < 0) fail("an unclosed tag");
    const tag = text.slice(i + 1, gt);
    if (tag.startsWith("/")) {
      const open = stack.pop()!;
      if (open.name !== tag.slice(1).trim()) fail(`</${tag.slice(1)}> closes <${open.name}>`);
    } else {
      const selfClosing = tag.endsWith("/");
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const name = /^[A-Za-z][\w:.-]*/.exec(body)?.[0] ?? fail("a tag without a name");
      const attributes: Record<string, string> = {};
      let rest = body.slice(name.length);
      const attr = /^\s+([\w:.-]+)="([^"<]*)"/;
      for (let m = attr.exec(rest); m !== null; m = attr.exec(rest)) {
        if (m[1]! in attributes) fail(`attribute ${m[1]} twice`);
        checkText(m[2]!);
        attributes[m[1]!] = m[2]!;
        rest = rest.slice(m[0].length);
      }
      if (rest.trim() !== "") fail(`a malformed attribute list ${JSON.stringify(rest)}`);
      const element: XmlElement = { name, attributes, children: [] };
      stack.at(-1)!.children.push(element);
      if (!selfClosing) stack.push(element);
    }
    i = gt + 1;
  }
  if (stack.length !== 1) fail(`<${stack.at(-1)!.name}> is never closed`);
  const roots = stack[0]!.children;
  if (roots.length !== 1) fail(`${roots.length} root elements`);
  return roots[0]!;
}

/** Every element of a tree, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(allElements)];
}
