/// <reference lib="dom" />
/**
 * Search: a text -> the nearest images of the served set, with their cosine similarity;
 * click an image -> the captions nearest to it. Results carry `data-name` and `data-index`
 * (the end-to-end test reads them).
 */

import type { EngineClient } from "./engine-client.js";
import { byId, el, setStatus } from "./dom.js";
import type { ImageSetView } from "./image-set.js";

export class SearchTab {
  private images: ImageSetView | null = null;
  private readonly status = byId("search-status");
  private readonly results = byId<HTMLOListElement>("search-results");

  constructor(
    private readonly client: EngineClient,
    private readonly onClassify: (index: number) => void,
  ) {
    byId<HTMLFormElement>("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.search();
    });
  }

  progress(task: string, done: number, total: number): void {
    setStatus(this.status, "loading", `${task}: ${done} / ${total}`);
  }

  ready(images: ImageSetView, ms: number): void {
    this.images = images;
    const what = images.kind === "openmoji" ? "emojis of OpenMoji's test split (never seen by the demo model)" : "images";
    setStatus(this.status, "ready", `${images.items.length} ${what} embedded in ${(ms / 1000).toFixed(1)} s. Type a description.`);
  }

  unavailable(reason: string): void {
    setStatus(this.status, "unavailable", reason);
  }

  async search(): Promise<void> {
    const query = byId<HTMLInputElement>("search-query").value;
    const k = Math.max(1, Math.min(50, Number(byId<HTMLInputElement>("search-k").value) || 10));
    if (this.images === null || query.trim() === "") return;
    setStatus(this.status, "searching", `searching for “${query}”…`);
    try {
      const started = performance.now();
      const hits = await this.client.call("search", { query, k });
      this.results.replaceChildren(
        ...hits.map((hit, rank) => {
          const item = this.images!.items[hit.index]!;
          const li = el("li", "result");
          li.dataset["index"] = String(hit.index);
          li.dataset["name"] = item.name;
          li.dataset["score"] = String(hit.score);
          const classify = el("button", "secondary", "classify");
          classify.type = "button";
          classify.addEventListener("click", (event) => {
            event.stopPropagation();
            this.onClassify(hit.index);
          });
          li.append(el("span", "rank", `${rank + 1}`), this.images!.thumbnail(hit.index), el("span", "name", item.name), el("span", "score", hit.score.toFixed(4)), classify);
          li.title = item.name;
          li.addEventListener("click", () => void this.showCaptions(hit.index, li));
          return li;
        }),
      );
      setStatus(this.status, "done", `top ${hits.length} for “${query}” in ${Math.round(performance.now() - started)} ms (cosine similarity). Click an image for its nearest captions.`);
    } catch (error) {
      setStatus(this.status, "error", (error as Error).message);
    }
  }

  async showCaptions(index: number, selected?: HTMLElement): Promise<void> {
    this.results.querySelectorAll(".selected").forEach((li) => li.classList.remove("selected"));
    selected?.classList.add("selected");
    const panel = byId("captions");
    panel.hidden = false;
    byId("captions-image").replaceChildren(this.images!.thumbnail(index), el("p", "hint", this.images!.items[index]!.name));
    const list = byId<HTMLOListElement>("captions-list");
    list.replaceChildren(el("li", "hint", "embedding captions…"));
    try {
      const hits = await this.client.call("captionsFor", { index, k: 8 });
      list.replaceChildren(
        ...hits.map((hit) => {
          const li = el("li", "", hit.caption);
          li.append(el("span", "", hit.score.toFixed(3)));
          return li;
        }),
      );
    } catch (error) {
      list.replaceChildren(el("li", "", (error as Error).message));
    }
  }
}
