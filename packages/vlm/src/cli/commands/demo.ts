/** `duet demo`: the main job (today the engine tour; the CLIP demo replaces it with the training issue). */

import { parse, type Command } from "../args.js";
import { runEngineDemo } from "./demo-engine.js";

const USAGE = `usage: duet demo [--out DIR] [--json]

Runs the demo and writes DIR/metrics.json (default DIR: runs/demo). Today the demo is a
tour of the tensor engine: broadcasting and views, the tiled matmul and the fast softmax
checked against their naive references and timed.
  --out DIR   where to write metrics.json
  --json      print the metrics as JSON on stdout instead of the human summary`;

export const demoCommand: Command = {
  summary: "run the demo (today: a tour of the tensor engine)",
  usage: USAGE,
  async run(args) {
    const { values } = parse("demo", args, { out: { type: "string" }, json: { type: "boolean" } });
    if (values["help"]) {
      console.log(USAGE);
      return 0;
    }
    await runEngineDemo({ outDir: (values["out"] as string | undefined) ?? "runs/demo", json: Boolean(values["json"]) });
    return 0;
  },
};
