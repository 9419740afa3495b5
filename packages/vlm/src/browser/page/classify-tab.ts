/// <reference lib="dom" />
/**
 * Classify: an image (dropped, chosen, or sent from Search) -> zero-shot probabilities over
 * the labels, each label's text feature the mean over the prompt templates (open_clip's
 * zero-shot classifier), softmax of exp(logit_scale) · cosine.
 */

import { EMOJI_TEMPLATES } from "../../data/prompt-template.js";
import type { EngineClient } from "./engine-client.js";
import { acceptImageFiles, byId, el, setStatus } from "./dom.js";

const DEFAULT_LABELS = ["smiling face", "animal", "fruit", "vehicle", "flag", "heart", "hand", "weather", "building", "clock"];

export class ClassifyTab {
  private image: Blob | string | null = null;
  private readonly status = byId("classify-status");

  constructor(private readonly client: EngineClient) {
    byId<HTMLTextAreaElement>("labels").value = DEFAULT_LABELS.join("\n");
    // the page's models see emojis: the emoji set, as `duet classify` uses for them
    byId<HTMLTextAreaElement>("templates").value = EMOJI_TEMPLATES.join("\n");
    acceptImageFiles(byId("drop-zone"), byId<HTMLInputElement>("classify-file"), (file, name) => void this.choose(file, name));
    byId("classify-go").addEventListener("click", () => void this.classify());
  }

  /** Shows the image and classifies it. */
  async choose(image: Blob | string, name: string): Promise<void> {
    this.image = image;
    const preview = el("img");
    preview.src = typeof image === "string" ? image : URL.createObjectURL(image);
    preview.alt = name;
    byId("classify-preview").replaceChildren(preview, el("p", "hint", name));
    await this.classify();
  }

  async classify(): Promise<void> {
    if (this.image === null) {
      setStatus(this.status, "idle", "Choose an image first.");
      return;
    }
    const labels = byId<HTMLTextAreaElement>("labels").value.split("\n");
    const templates = byId<HTMLTextAreaElement>("templates").value.split("\n");
    setStatus(this.status, "working", "classifying…");
    try {
      const ranked = await this.client.call("classify", { image: this.image, labels, templates });
      byId("classify-results").replaceChildren(
        ...ranked.map(({ label, probability }) => {
          const li = el("li");
          li.dataset["label"] = label;
          li.dataset["probability"] = String(probability);
          const track = el("div", "track");
          const bar = el("div", "bar");
          bar.style.width = `${(100 * probability).toFixed(1)}%`;
          track.append(bar);
          li.append(el("span", "", label), track, el("span", "pct", `${(100 * probability).toFixed(1)}%`));
          return li;
        }),
      );
      setStatus(this.status, "done", `most likely: ${ranked[0]!.label}`);
    } catch (error) {
      setStatus(this.status, "error", (error as Error).message);
    }
  }
}
