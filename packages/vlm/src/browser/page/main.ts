/// <reference lib="dom" />
/**
 * The Duet page: four tabs over one engine worker (../engine/engine-worker.ts), which runs
 * the model and owns the worker pool. This thread only draws and forwards requests, so the
 * page stays responsive while the engine computes. Served by `duet serve`.
 *
 * `window.duet` exposes the engine client and the training curve, for the curious and for
 * the end-to-end test (tests/vlm/browser.test.ts), which calls `duet.call("embed", ...)`.
 */

import { OPENMOJI_LICENSE, OPENMOJI_LICENSE_URL, OPENMOJI_URL } from "../../data/openmoji/attribution.js";
import type { ModelSummary } from "../engine/protocol.js";
import { ClassifyTab } from "./classify-tab.js";
import { DescribeTab } from "./describe-tab.js";
import { byId, el, setStatus } from "./dom.js";
import { EngineClient } from "./engine-client.js";
import { ImageSetView } from "./image-set.js";
import { SearchTab } from "./search-tab.js";
import { TrainTab } from "./train-tab.js";

interface ServerInfo {
  checkpoint: { files: string[]; base: string } | null;
  images: { kind: string };
  train: { preset: string; resolution: number };
}

function setUpTabs(): (name: string) => void {
  const tabs = ["search", "classify", "describe", "train"];
  const show = (name: string) => {
    for (const tab of tabs) {
      byId(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
      byId(`panel-${tab}`).hidden = tab !== name;
    }
  };
  for (const tab of tabs) byId(`tab-${tab}`).addEventListener("click", () => show(tab));
  return show;
}

function modelLineOf(model: ModelSummary): string {
  return `model: ${model.kind === "coca" ? "a CoCa (it can describe images), " : ""}${(model.parameters / 1e6).toFixed(2)} M parameters, ${model.imageSize} px images, ${model.embedDim}-dim embeddings, ${model.tokenizer === "clip" ? "CLIP's" : "its own"} ${model.vocabSize}-token vocabulary, logit scale ${model.logitScale.toFixed(1)}`;
}

async function main(): Promise<void> {
  const status = byId("status");
  const attribution = byId("attribution");
  const link = (text: string, href: string) => Object.assign(el("a", "", text), { href, rel: "noreferrer" });
  attribution.append("Emojis designed by ", link("OpenMoji", OPENMOJI_URL), ` – the open-source emoji and icon project. License: `, link(OPENMOJI_LICENSE, OPENMOJI_LICENSE_URL), ".");

  const show = setUpTabs();
  const info = (await (await fetch("/api/info")).json()) as ServerInfo;
  const client = new EngineClient("/app/engine.js");
  const classify = new ClassifyTab(client);
  const describe = new DescribeTab(client);
  let images: ImageSetView | null = null;
  const search = new SearchTab(client, (index) => {
    show("classify");
    void images!.source(index).then((source) => classify.choose(source, images!.items[index]!.name));
  });
  let engineLine = "";
  let modelLine = "";
  const refresh = (state: string) => setStatus(status, state, [engineLine, modelLine].filter(Boolean).join(" · "));

  const embedImageSet = async () => {
    images ??= await ImageSetView.load("/api/images");
    const { ms } = await client.call("loadImageSet", { url: "/api/images" });
    search.ready(images, ms);
  };
  const train = new TrainTab(client, info.train.resolution, async (model) => {
    modelLine = "model: trained in this page";
    describe.modelChanged(model);
    refresh("ready");
    await embedImageSet();
  });
  client.onEvent((event) => {
    if (event.event === "progress") search.progress(event.task, event.done, event.total);
  });
  (window as unknown as { duet: unknown }).duet = {
    call: client.call.bind(client),
    get losses() {
      return train.losses;
    },
    info,
  };

  const engine = await client.call("init", { threads: navigator.hardwareConcurrency || 2, poolUrl: "/app/pool.js" });
  engineLine = `engine: ${engine.threads} thread${engine.threads === 1 ? "" : "s"}${engine.reason ? ` (${engine.reason})` : " (Web Workers sharing memory)"}`;
  refresh("engine");
  if (info.checkpoint === null) {
    modelLine = "no checkpoint: start duet serve with --checkpoint DIR, or train one in the Train tab";
    refresh("ready");
    search.unavailable("No model yet: serve a checkpoint (duet serve --checkpoint DIR), or train one in the Train tab and press “Use this model”.");
    return;
  }
  const model = await client.call("loadCheckpoint", { base: info.checkpoint.base, files: info.checkpoint.files, vocabUrl: "/vocab/clip-bpe.txt.gz" });
  modelLine = modelLineOf(model);
  describe.modelChanged(model);
  refresh("ready");
  await embedImageSet();
}

main().catch((error: unknown) => {
  setStatus(byId("status"), "error", `Duet could not start: ${error instanceof Error ? error.message : String(error)}`);
});
