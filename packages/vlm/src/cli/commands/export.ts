/** `duet export --to open_clip`: a checkpoint as the folder open_clip loads with "local-dir:DIR". */

import { exportOpenClip } from "../../export/open-clip.js";
import { parseOrHelp, required, UsageError, type Command } from "../args.js";

const USAGE = `usage: duet export --checkpoint C --to open_clip --out DIR [--json]

Writes the model as open_clip's own folder, which open_clip loads by itself:
  model, preprocess = open_clip.create_model_and_transforms("local-dir:DIR")[::2]
  tokenizer = open_clip.get_tokenizer("local-dir:DIR")
giving the token ids of duet tokenize and the features of duet embed (docs/scale-out.md).

  --checkpoint C   a Duet or open_clip checkpoint folder (ViT towers, linear projections)
  --to open_clip   the target (the only one)
  --out DIR        a new or empty folder: open_clip_config.json, open_clip_model.safetensors,
                   and for a learned BPE tokenizer.json (Hugging Face tokenizers) with
                   tokenizer_config.json and special_tokens_map.json; written atomically
  --json           print {"out", "tokenizer", "files", "seconds"}

Weights, tokenizer and preprocessing carry over; the optimizer state does not.`;

export const exportCommand: Command = {
  summary: "export a checkpoint as an open_clip folder (local-dir:DIR)",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("export", USAGE, args, io, {
      checkpoint: { type: "string" },
      to: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const checkpoint = required("export", values, "checkpoint");
    const target = required("export", values, "to");
    if (target !== "open_clip") throw new UsageError(`duet export: --to must be open_clip, got "${target}"`);
    const out = required("export", values, "out");
    const result = await exportOpenClip(checkpoint, out);
    if (values["json"]) {
      io.out(JSON.stringify({ out: result.outDir, tokenizer: result.tokenizer, files: result.files, seconds: result.seconds }));
    } else {
      const tokenizer = result.tokenizer === "hf" ? "the learned BPE as a Hugging Face tokenizers file" : "open_clip's default (CLIP's BPE)";
      io.out(`exported ${checkpoint} to ${result.outDir} in ${result.seconds.toFixed(2)} s: ${result.files.join(", ")}; tokenizer: ${tokenizer}`);
      io.out(`load it with open_clip.create_model_and_transforms("local-dir:${result.outDir}") and open_clip.get_tokenizer("local-dir:${result.outDir}")`);
    }
    return 0;
  },
};
