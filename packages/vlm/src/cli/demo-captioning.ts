/**
 * `duet demo --model coca`'s captioning evaluation: the saved CoCa captions OpenMoji's test
 * split (greedy), scored by the code of `duet eval caption` (eval/caption-eval.ts: the same
 * references, metrics and both baselines, drawn from OpenMoji's train split), on the demo's
 * own drawings and split, so a smoke run's subset is what gets captioned. A dozen test emojis
 * (base emojis, spread over the split, as the report's other examples) are shown with their
 * captions, rasterised again at display size.
 */

import type { OpenMoji } from "../data/index.js";
import { openMojiItems, rasterizeOpenMoji } from "../data/index.js";
import { cocaOf, emojiCaptionSet, evaluateCaptions, type CaptionEvaluation } from "../eval/index.js";
import type { ProgressFactory } from "../eval/embed.js";
import { rgbImage } from "../image/index.js";
import { longestCaption } from "../model/coca-generate.js";
import type { LoadedCheckpoint } from "../model/index.js";
import type { CaptionReport } from "../report/caption-section.js";
import { pngDataUri } from "../report/png.js";
import { spread } from "./demo-examples.js";

const DISPLAY_SIZE = 64;
const EXAMPLES = 12;

/** metrics.json's "captioning" block: `duet eval caption --json`'s keys, plus how long it took. */
export type DemoCaptioningMetrics = Omit<CaptionEvaluation, "examples"> & {
  decoding: { strategy: "greedy"; max_length: number };
  examples: { image: string; generated: string; annotation: string; retrieved: string }[];
  seconds: number;
};

export interface DemoCaptioning {
  metrics: DemoCaptioningMetrics;
  report: CaptionReport;
}

/** The hexcode of a caption set's emoji label ("openmoji:1F600" -> "1F600"). */
function hexcodeOf(label: string): string {
  return label.slice(label.indexOf(":") + 1);
}

export async function evaluateDemoCaptioning(checkpoint: LoadedCheckpoint, openMoji: OpenMoji, options: { onProgress?: ProgressFactory } = {}): Promise<DemoCaptioning> {
  const started = performance.now();
  const maxLength = longestCaption(cocaOf(checkpoint, "evaluateDemoCaptioning"));
  const size = checkpoint.preprocess.size;
  const test = await emojiCaptionSet(size, [openMoji.style], "test", { openMoji, onProgress: options.onProgress });
  const train = await emojiCaptionSet(size, [openMoji.style], "train", { openMoji, onProgress: options.onProgress });

  // base emojis only, so the dozen shown differ in more than skin tone
  const itemOf = new Map(openMojiItems().map((item) => [item.hexcode, item]));
  const hexcodes = Array.from({ length: test.count }, (_, i) => hexcodeOf(test.label(i)));
  const bases = hexcodes.map((hex, i) => (itemOf.get(hex)?.skintone === "" ? i : -1)).filter((i) => i >= 0);
  const pool = bases.length >= Math.min(EXAMPLES, test.count) ? bases : hexcodes.map((_, i) => i);
  const shown = spread(pool.length, EXAMPLES).map((p) => pool[p]!);

  const evaluation = await evaluateCaptions(checkpoint, test, train, { maxLength }, { onProgress: options.onProgress, examples: shown });
  const pixels = await rasterizeOpenMoji(shown.map((i) => hexcodes[i]!), DISPLAY_SIZE);
  const bytes = DISPLAY_SIZE * DISPLAY_SIZE * 3;
  const examples = shown.map((i, k) => ({
    image: pngDataUri(rgbImage(DISPLAY_SIZE, DISPLAY_SIZE, pixels.subarray(k * bytes, (k + 1) * bytes))),
    label: test.label(i),
    generated: evaluation.examples[k]!.generated,
    annotation: test.captions(i)[0]!,
    references: test.references(i).length,
    retrieved: evaluation.examples[k]!.retrieved,
  }));
  const seconds = (performance.now() - started) / 1000;
  return {
    metrics: {
      data: evaluation.data,
      train_data: evaluation.train_data,
      model: evaluation.model,
      baselines: evaluation.baselines,
      decoding: { strategy: "greedy", max_length: maxLength },
      examples: examples.map(({ label, generated, annotation, retrieved }) => ({ image: label, generated, annotation, retrieved })),
      seconds: Number(seconds.toFixed(2)),
    },
    report: {
      data: evaluation.data,
      trainData: evaluation.train_data,
      decoding: `greedy, at most ${maxLength} tokens`,
      model: evaluation.model,
      retrieval: evaluation.baselines.retrieval,
      mostFrequent: evaluation.baselines.most_frequent,
      examples,
      seconds,
    },
  };
}
