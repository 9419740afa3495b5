/**
 * Every lesson by name, in the overview's order. A lesson can be registered with its claim
 * before it is built (notBuilt: it needs pieces Duet does not have yet); naming one is an
 * error that says so, and the list stays complete and honest. All are built now.
 */

import { augmentationLesson } from "./augmentation.js";
import { batchSizeLesson } from "./batch-size.js";
import { filteringLesson } from "./filtering.js";
import { hardNegativesLesson } from "./hard-negatives.js";
import { lossLesson } from "./loss.js";
import { projectionDimLesson } from "./projection-dim.js";
import { temperatureLesson } from "./temperature.js";
import { towersLesson } from "./towers.js";
import { LessonRequestError, type Lesson } from "./types.js";

/** A lesson with its claim and no sweep yet. */
export function notBuilt(name: string, claim: string, changes: string, missing: string): Lesson {
  return {
    name,
    claim,
    changes,
    holds: `not built yet: ${missing}`,
    points: null,
    fewest: [],
    samples: 0,
    metricsOf: () => ({}),
    plot: { xLabel: "", panels: [] },
    verdict: () => ({ status: "incomplete", reason: `not built yet: ${missing}` }),
  };
}

export const LESSONS: readonly Lesson[] = [
  batchSizeLesson,
  projectionDimLesson,
  temperatureLesson,
  hardNegativesLesson,
  filteringLesson,
  augmentationLesson,
  lossLesson,
  towersLesson,
];

export function isBuilt(lesson: Lesson): boolean {
  return lesson.points !== null;
}

/** The lessons named (all built ones when none is), or a LessonRequestError naming the problem. */
export function selectLessons(names: readonly string[]): Lesson[] {
  if (names.length === 0) return LESSONS.filter(isBuilt);
  const chosen: Lesson[] = [];
  for (const name of names) {
    const lesson = LESSONS.find((l) => l.name === name);
    if (lesson === undefined) throw new LessonRequestError(`duet lessons: no lesson "${name}"; the lessons are ${LESSONS.map((l) => l.name).join(", ")}`);
    if (!isBuilt(lesson)) throw new LessonRequestError(`duet lessons: ${name} is not built yet (${lesson.holds.replace(/^not built yet: /, "")}); the built ones are ${LESSONS.filter(isBuilt).map((l) => l.name).join(", ")}`);
    if (!chosen.includes(lesson)) chosen.push(lesson);
  }
  // the overview's order, whatever order they were named in
  return LESSONS.filter((l) => chosen.includes(l));
}
