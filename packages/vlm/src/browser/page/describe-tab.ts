/// <reference lib="dom" />
/**
 * Describe: an image (dropped or chosen) -> a caption written by the loaded CoCa's text
 * decoder, token by token in the engine worker (the decoding of `duet caption`: greedy, or
 * beam search). A CLIP has no decoder: the tab says so instead of offering a button that fails.
 */

import type { ModelSummary } from "../engine/protocol.js";
import type { EngineClient } from "./engine-client.js";
import { acceptImageFiles, byId, el, setStatus } from "./dom.js";

const NO_DECODER = "The loaded model is a CLIP: it matches images and texts but has no text decoder, so it cannot write a caption. Serve a CoCa checkpoint to use this tab (duet demo --model coca, or duet train --model coca, then duet serve --checkpoint DIR/checkpoint).";

export class DescribeTab {
  private image: Blob | null = null;
  private model: ModelSummary | null = null;
  private readonly status = byId("describe-status");
  private readonly caption = byId("describe-caption");
  private readonly button = byId<HTMLButtonElement>("describe-go");

  constructor(private readonly client: EngineClient) {
    acceptImageFiles(byId("describe-drop"), byId<HTMLInputElement>("describe-file"), (file, name) => void this.choose(file, name));
    this.button.addEventListener("click", () => void this.describe());
    this.modelChanged(null);
  }

  /** The page loaded (or trained) a model: a CoCa enables the tab, a CLIP gets the message. */
  modelChanged(model: ModelSummary | null): void {
    this.model = model;
    this.caption.textContent = "";
    if (model === null) {
      this.button.disabled = true;
      setStatus(this.status, "loading", "Waiting for the model…");
    } else if (model.kind !== "coca") {
      this.button.disabled = true;
      setStatus(this.status, "unavailable", NO_DECODER);
    } else {
      this.button.disabled = false;
      setStatus(this.status, "idle", `Drop an image: the CoCa writes up to ${model.maxCaptionLength} tokens about it.`);
    }
  }

  /** Shows the image and describes it. */
  async choose(image: Blob, name: string): Promise<void> {
    this.image = image;
    const preview = el("img");
    preview.src = URL.createObjectURL(image);
    preview.alt = name;
    byId("describe-preview").replaceChildren(preview, el("p", "hint", name));
    await this.describe();
  }

  async describe(): Promise<void> {
    if (this.model?.kind !== "coca") {
      setStatus(this.status, this.model === null ? "loading" : "unavailable", this.model === null ? "Waiting for the model…" : NO_DECODER);
      return;
    }
    if (this.image === null) {
      setStatus(this.status, "idle", "Choose an image first.");
      return;
    }
    const beams = Number(byId<HTMLInputElement>("describe-beams").value) || 1;
    setStatus(this.status, "working", beams > 1 ? `writing a caption with ${beams} beams…` : "writing a caption…");
    this.caption.textContent = "";
    try {
      const { text, tokens, ms } = await this.client.call("describe", { image: this.image, beams });
      this.caption.textContent = text === "" ? "(an empty caption: the model ended at once)" : text;
      this.caption.dataset["text"] = text;
      this.caption.dataset["tokens"] = tokens.join(",");
      setStatus(this.status, "done", `${tokens.length} token${tokens.length === 1 ? "" : "s"} in ${ms.toFixed(0)} ms, ${beams > 1 ? `beam search (${beams} beams)` : "greedy"}`);
    } catch (error) {
      setStatus(this.status, "error", (error as Error).message);
    }
  }
}
