/**
 * The demo report's drawing-style sections: the test split's metrics in every style the model
 * trained on, and the transfer table — models trained on two styles, tested on the third —
 * from a committed leave-one-style-out run (tools/style-transfer.ts), labelled as that run's.
 */

import { escapeHtml } from "./html.js";

export interface StyleMetrics {
  style: string;
  /** Test emojis the style draws. */
  images: number;
  zeroshot_top1: number;
  zeroshot_top5: number;
  "text_to_image_R@1": number;
  "text_to_image_R@5": number;
  "text_to_image_R@10": number;
  "image_to_text_R@1": number;
  "image_to_text_R@5": number;
  "image_to_text_R@10": number;
  "chance_R@10": number;
}

/** One row of the transfer table: trained on `trained`, tested on `tested`, mean ± sd over seeds. */
export interface TransferRow {
  trained: string[];
  tested: string;
  /** The tested style was not among those trained on. */
  held_out_style: boolean;
  seeds: number;
  "text_to_image_R@10": { mean: number; sd: number };
  "image_to_text_R@10": { mean: number; sd: number };
  zeroshot_top1: { mean: number; sd: number };
}

export interface TransferTable {
  /** Where the numbers come from (a file of the repository) and how they were made. */
  source: string;
  description: string;
  rows: readonly TransferRow[];
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const meanSd = (m: { mean: number; sd: number }) => `${(100 * m.mean).toFixed(1)} ± ${(100 * m.sd).toFixed(1)}%`;

export function stylesSection(styles: readonly StyleMetrics[], captions: { meanDistinct: number } | undefined): string {
  const rows = styles
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.style)}</td><td>${s.images}</td><td>${pct(s.zeroshot_top1)} / ${pct(s.zeroshot_top5)}</td><td>${pct(s["text_to_image_R@1"])} / ${pct(s["text_to_image_R@5"])} / ${pct(s["text_to_image_R@10"])}</td><td>${pct(s["image_to_text_R@1"])} / ${pct(s["image_to_text_R@5"])} / ${pct(s["image_to_text_R@10"])}</td><td>${pct(s["chance_R@10"])}</td></tr>`,
    )
    .join("");
  const captionLine = captions === undefined ? "" : `<p>Training captions are sampled afresh at every draw from nine templates, the annotation, Unicode's and OpenMoji's tags and CLDR's keywords: a training emoji has ${captions.meanDistinct.toFixed(0)} distinct captions on average.</p>`;
  return `<p>The test split in each drawing style the model trained on: the same held-out emojis (split by base emoji, so never seen in any style or skin tone), against the same 119 zero-shot classes.</p>
<table><tr><th>style</th><th>test emojis</th><th>zero-shot top-1 / top-5</th><th>text→image R@1 / 5 / 10</th><th>image→text R@1 / 5 / 10</th><th>chance R@10</th></tr>${rows}</table>${captionLine}`;
}

export function transferSection(table: TransferTable | undefined, path: string): string {
  if (table === undefined) return `<p class="muted">No leave-one-style-out results at <code>${escapeHtml(path)}</code>; <code>npx tsx tools/style-transfer.ts</code> makes them.</p>`;
  const rows = table.rows
    .map((r) => `<tr${r.held_out_style ? ' class="held-out"' : ""}><td>${escapeHtml(r.trained.join(" + "))}</td><td>${escapeHtml(r.tested)}${r.held_out_style ? " <b>(unseen style)</b>" : ""}</td><td>${r.seeds}</td><td>${meanSd(r["text_to_image_R@10"])}</td><td>${meanSd(r["image_to_text_R@10"])}</td><td>${meanSd(r.zeroshot_top1)}</td></tr>`)
    .join("");
  return `<p>How much a new drawing style costs: models trained on two styles and tested on the third (test split only), mean ± sd over seeds. ${escapeHtml(table.description)} These numbers are from <code>${escapeHtml(table.source)}</code>, not from this run.</p>
<table><tr><th>trained on</th><th>tested on</th><th>seeds</th><th>text→image R@10</th><th>image→text R@10</th><th>zero-shot top-1</th></tr>${rows}</table>`;
}
