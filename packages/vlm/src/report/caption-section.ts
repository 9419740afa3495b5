/**
 * The captioning section of `duet demo --model coca`'s report: the CoCa's captions of held-out
 * emojis scored as `duet eval caption` scores them (BLEU-1…4, ROUGE-L, CIDEr-D), beside the
 * two baselines that need no decoder — the caption of the nearest training image (what the
 * contrastive half alone can say) and the most frequent training caption (what ignoring the
 * image can say) — then a dozen test emojis with the caption written for each and the true one.
 */

import { escapeHtml } from "./html.js";
import type { CaptionMetrics } from "../eval/caption-metrics.js";

/** One row of scores, as eval/caption-metrics.ts computes them. */
export type CaptionScores = CaptionMetrics;

export interface CaptionExample {
  /** The emoji at display size, a data: URI. */
  image: string;
  /** Which emoji ("openmoji:1F600"). */
  label: string;
  generated: string;
  /** Its annotation, the caption a person would give ("grinning face"). */
  annotation: string;
  /** How many reference captions it was scored against. */
  references: number;
  /** The retrieval baseline's caption for it. */
  retrieved: string;
}

export interface CaptionReport {
  /** The scored set ("openmoji:test") and the set the baselines copy from ("openmoji:train"). */
  data: string;
  trainData: string;
  /** How the captions were decoded, in words ("greedy, at most 20 tokens"). */
  decoding: string;
  model: CaptionScores;
  retrieval: CaptionScores & { train_images: number };
  mostFrequent: CaptionScores & { caption: string; count: number };
  examples: readonly CaptionExample[];
  /** Seconds the captioning evaluation took (decoding, the baselines, the metrics). */
  seconds: number;
}

const ROWS: readonly [keyof Omit<CaptionScores, "n">, string][] = [
  ["bleu1", "BLEU-1"],
  ["bleu2", "BLEU-2"],
  ["bleu3", "BLEU-3"],
  ["bleu4", "BLEU-4"],
  ["rougeL", "ROUGE-L"],
  ["ciderD", "CIDEr-D"],
];

const score = (v: number) => v.toFixed(3);

export function captionSection(report: CaptionReport): string {
  const best = (key: keyof Omit<CaptionScores, "n">) => Math.max(report.retrieval[key], report.mostFrequent[key]);
  const rows = ROWS.map(([key, label]) => {
    const model = report.model[key];
    // bold when the decoder beats both baselines: what a CoCa adds over its own contrastive half
    const cell = model > best(key) ? `<b>${score(model)}</b>` : score(model);
    return `<tr><td>${label}</td><td>${cell}</td><td>${score(report.retrieval[key])}</td><td>${score(report.mostFrequent[key])}</td></tr>`;
  }).join("");
  const cards = report.examples.map((ex) => {
    const same = ex.generated === ex.annotation ? ' class="hit"' : "";
    return `<div class="example"><img src="${ex.image}" alt="${escapeHtml(ex.annotation)}"><div><div${same}>“${escapeHtml(ex.generated)}”</div><div class="muted">true: ${escapeHtml(ex.annotation)} <span title="reference captions scored against">(${ex.references} references)</span></div><div class="muted">retrieval baseline: ${escapeHtml(ex.retrieved)}</div></div></div>`;
  });
  const cider = report.model.ciderD;
  const baseline = best("ciderD");
  const verdict = cider > baseline ? `CIDEr-D ${score(cider)} is above both baselines (best ${score(baseline)}).` : `CIDEr-D ${score(cider)} is <b>not</b> above both baselines (best ${score(baseline)}).`;
  return `<p>The decoder's captions of the ${report.model.n} held-out emojis of <code>${escapeHtml(report.data)}</code> (${escapeHtml(report.decoding)}), scored as <code>duet eval caption</code> scores them: against every caption the training captioner can give an emoji (its annotation, with its tags and keywords, in the templates), with CIDEr-D's document frequencies from these references. Beside them, two baselines from <code>${escapeHtml(report.trainData)}</code> that need no decoder: <b>retrieval</b> copies the annotation of the nearest of ${report.retrieval.train_images} training images in the model's own joint space; <b>most frequent</b> writes “${escapeHtml(report.mostFrequent.caption)}” (${report.mostFrequent.count}× among the training references) for every image. ${verdict}</p>
<table><thead><tr><th>metric</th><th>CoCa's captions</th><th>retrieval baseline</th><th>most frequent caption</th></tr></thead><tbody>${rows}</tbody></table>
<p class="muted">BLEU and ROUGE-L in 0…1, CIDEr-D in 0…10; bold where the captions beat both baselines. The evaluation took ${report.seconds.toFixed(1)} s.</p>
<div class="examples">${cards.join("")}</div>`;
}
