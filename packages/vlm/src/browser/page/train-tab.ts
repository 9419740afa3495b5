/// <reference lib="dom" />
/**
 * Train: the default model trained live by the engine worker. Each step's loss and logit
 * scale are charted; the similarity matrix of a fixed batch is redrawn as it sharpens.
 * "Start new run" trains a new model from random weights; Pause stops after the current step
 * and Resume continues the same run (a finished run continues for "steps to run" more);
 * a line under the buttons says which does what in the state at hand. "Download checkpoint" offers the three files of a Duet
 * checkpoint folder (config.json, model.safetensors, tokenizer.json) — put them in one
 * folder and any `duet` command reads it; "Use this model" hands it to Search and Classify.
 *
 * #train-status carries data-state (idle, preparing, running, paused, finished, error) and
 * data-step; the losses so far are in `window.duet.losses` (the end-to-end test reads both).
 */

import type { EngineEvent, ModelSummary } from "../engine/protocol.js";
import type { Heatmap } from "../engine/train-loop.js";
import { drawHeatmap, drawLineChart } from "./charts.js";
import type { EngineClient } from "./engine-client.js";
import { byId, el, rgbCanvas, setStatus } from "./dom.js";

export class TrainTab {
  readonly losses: number[] = [];
  readonly scales: number[] = [];
  private heatmap: Heatmap | null = null;
  private readonly thumbnails = new Map<string, HTMLCanvasElement>();
  private rasters: { rows: Map<string, number>; pixels: Uint8Array } | null = null;
  private readonly status = byId("train-status");
  private readonly pauseButton = byId<HTMLButtonElement>("train-pause");
  private readonly explain = byId("train-explain");
  /** The step the run is to reach (the engine's target). */
  private target = 0;
  private running = false;

  constructor(
    private readonly client: EngineClient,
    /** Side of the rasters the Train tab learns from (the server's /api/info). */
    private readonly resolution: number,
    /** Called with the trained model's summary once the engine uses it (Describe needs its kind). */
    private readonly onModelUsed: (model: ModelSummary) => Promise<void>,
  ) {
    byId<HTMLFormElement>("train-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.start();
    });
    this.pauseButton.addEventListener("click", () => void this.togglePause());
    byId("train-download").addEventListener("click", () => void this.download());
    byId("train-use").addEventListener("click", () => void this.use());
    client.onEvent((event) => this.onEvent(event));
    this.redraw();
  }

  private maxSteps(): number {
    return Math.max(1, Number(byId<HTMLInputElement>("train-steps").value) || 1);
  }

  private setState(state: string, text: string, step = Number(this.status.dataset["step"] ?? 0)): void {
    this.status.dataset["step"] = String(step);
    setStatus(this.status, state, text);
  }

  async start(): Promise<void> {
    this.losses.length = 0;
    this.scales.length = 0;
    this.setState("preparing", "learning a tokenizer from the captions and building the model…", 0);
    try {
      void this.loadThumbnails();
      const batchSize = Number(byId<HTMLInputElement>("train-batch").value) || 64;
      const lr = Number(byId<HTMLInputElement>("train-lr").value) || 0.002;
      this.target = this.maxSteps();
      const started = await this.client.call("trainStart", { batchSize, lr, maxSteps: this.target });
      this.running = true;
      this.pauseButton.disabled = false;
      this.showControls("running");
      for (const id of ["train-use", "train-download"]) byId<HTMLButtonElement>(id).disabled = false;
      this.setState("running", `training: ${(started.parameters / 1e6).toFixed(2)} M parameters, a ${started.vocabSize}-token BPE, ${started.contextLength}-token context, batch ${started.settings.batchSize}…`);
    } catch (error) {
      this.setState("error", (error as Error).message);
    }
  }

  private async togglePause(): Promise<void> {
    if (this.running) {
      await this.client.call("trainPause", {});
    } else {
      this.running = true;
      // paused short of its target, a run goes on to it; a finished one runs "steps to run" more
      const stepNow = Number(this.status.dataset["step"] ?? 0);
      if (stepNow >= this.target) this.target = stepNow + this.maxSteps();
      this.showControls("running");
      const { step } = await this.client.call("trainResume", { moreSteps: this.maxSteps() });
      this.setState("running", `training from step ${step}…`, step);
    }
  }

  private onEvent(event: EngineEvent): void {
    if (event.event === "train") {
      const { report } = event;
      if (report.step > 0) {
        this.losses.push(report.loss);
        this.scales.push(report.logitScale);
      }
      if (event.heatmap) this.heatmap = event.heatmap;
      if (report.step > 0) {
        this.setState(event.running ? "running" : this.status.dataset["state"]!, `step ${report.step}: loss ${report.loss.toFixed(4)}, logit scale ${report.logitScale.toFixed(2)}, lr ${report.lr.toExponential(2)}, ${Math.round(report.ms)} ms/step`, report.step);
      }
      this.redraw();
    } else if (event.event === "trainStopped") {
      this.running = false;
      const last = this.losses[this.losses.length - 1];
      const state = event.reason === "finished" ? "finished" : event.reason === "paused" ? "paused" : "error";
      this.setState(state, `${event.reason} at step ${event.step}${last === undefined ? "" : `: loss ${last.toFixed(4)}`}`, event.step);
      this.showControls(state === "finished" ? "finished" : "paused");
    }
  }

  /** The pause button's label and tooltip, and the line saying what each button does now. */
  private showControls(state: "running" | "paused" | "finished"): void {
    const step = Number(this.status.dataset["step"] ?? 0);
    const more = this.maxSteps();
    const fresh = "“Start new run” discards this run and trains a new model from random weights.";
    if (state === "running") {
      this.pauseButton.textContent = "Pause";
      this.pauseButton.title = "Stop after the current step; Resume then continues this run";
      this.explain.textContent = `Training to step ${this.target}. Pause stops after the current step; the run can then be resumed. ${fresh}`;
    } else if (state === "paused") {
      this.pauseButton.textContent = "Resume";
      this.pauseButton.title = `Continue this run from step ${step} to step ${this.target}`;
      this.explain.textContent = `Paused at step ${step} of ${this.target}. Resume continues this run from where it stopped. ${fresh}`;
    } else {
      this.pauseButton.textContent = `Train ${more} more`;
      this.pauseButton.title = `Continue this model for ${more} more steps (the “steps to run” box)`;
      this.explain.textContent = `Finished at step ${step}. “Train ${more} more” continues this model for ${more} more steps. ${fresh}`;
    }
  }

  private redraw(): void {
    drawLineChart(byId<HTMLCanvasElement>("loss-chart"), this.losses, { color: "#3b5bdb", label: "loss" });
    drawLineChart(byId<HTMLCanvasElement>("scale-chart"), this.scales, { color: "#e8590c", label: "exp(logit_scale)" });
    if (this.heatmap) drawHeatmap(byId<HTMLCanvasElement>("heatmap"), this.heatmap, (hexcode) => this.thumbnail(hexcode));
  }

  /** The emojis' rasters, for the heatmap's row labels (a canvas each, made when first drawn). */
  private async loadThumbnails(): Promise<void> {
    if (this.rasters !== null) return;
    const [meta, pixels] = await Promise.all([
      fetch("/openmoji/meta.json").then((r) => r.json() as Promise<{ items: { hexcode: string }[] }>),
      fetch(`/openmoji/${this.resolution}/pixels.bin`).then((r) => r.arrayBuffer()),
    ]);
    this.rasters = { rows: new Map(meta.items.map((item, row) => [item.hexcode, row])), pixels: new Uint8Array(pixels) };
    this.redraw();
  }

  private thumbnail(hexcode: string): HTMLCanvasElement | null {
    let canvas = this.thumbnails.get(hexcode);
    const row = this.rasters?.rows.get(hexcode);
    if (canvas === undefined && row !== undefined) {
      const size = this.resolution;
      const bytes = size * size * 3;
      canvas = rgbCanvas(this.rasters!.pixels.subarray(row * bytes, (row + 1) * bytes), size, size);
      this.thumbnails.set(hexcode, canvas);
    }
    return canvas ?? null;
  }

  private async download(): Promise<void> {
    const { files } = await this.client.call("trainExport", {});
    const links = files.map(({ name, bytes }) => {
      const link = el("a", "", `${name} (${(bytes.length / 1024).toFixed(0)} KB)`);
      link.href = URL.createObjectURL(new Blob([new Uint8Array(bytes)]));
      link.download = name;
      return link;
    });
    byId("train-downloads").replaceChildren(el("span", "hint", `step ${this.status.dataset["step"]}: save all three into one folder (a Duet checkpoint): `), ...links);
  }

  private async use(): Promise<void> {
    this.setState(this.status.dataset["state"]!, "handing the trained model to Search and Classify…");
    await this.onModelUsed(await this.client.call("trainUse", {}));
    this.setState(this.running ? "running" : "paused", `Search and Classify now use the model of step ${this.status.dataset["step"]}.`);
  }
}
