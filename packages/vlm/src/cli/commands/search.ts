/** `duet search`: the images of an index closest to a text or an image. */

import { isAbsolute, relative } from "node:path";
import { matmul } from "@duet/tensor";
import { existingFile, oneOf, parseOrHelp, positiveInt, required, stringFlag, UsageError, type Command } from "../args.js";
import { readIndex } from "../embedding-index.js";
import { checkedEncoder, embedImages, embedTextList } from "../../eval/index.js";
import { loadImages, openCheckpoint } from "../inputs.js";

const USAGE = `usage: duet search --index INDEX (--text S | --image P) [--k N] [--json]

Ranks the images of an index (built by duet index) by cosine similarity to a text query
(text-to-image search) or an image query (similar images).

  --index INDEX     the index folder
  --text S          a text query
  --image P         an image query (PNG or JPEG)
  --k N             how many results (default 5)
  --checkpoint C    embed the query with this model instead of the one the index names
                    (it must be the same model, or the scores mean nothing)
  --json            print {"query", "results": [{"rank", "score", "path", "captions"}]}`;

/** A path relative to the current folder when it lies below it, else as stored. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

export const searchCommand: Command = {
  summary: "search an embedding index with a text or an image",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("search", USAGE, args, io, {
      index: { type: "string" },
      text: { type: "string" },
      image: { type: "string" },
      k: { type: "string" },
      checkpoint: { type: "string" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const indexDir = required("search", values, "index");
    const kind = oneOf("search", values, ["text", "image"], true)!;
    const k = positiveInt("search", "k", values["k"], 5);
    const query = stringFlag(values, kind)!;
    if (kind === "image") existingFile("search", "image", query);
    if (kind === "text" && query.trim() === "") throw new UsageError("duet search: --text is empty");
    const index = readIndex("search", indexDir);
    const checkpoint = openCheckpoint("search", stringFlag(values, "checkpoint") ?? index.checkpoint);
    const queryFeatures = kind === "text" ? embedTextList(checkedEncoder(checkpoint), [query]) : embedImages(checkpoint.model, loadImages(checkpoint, [query]));
    if (queryFeatures.shape[1] !== index.embedDim) {
      throw new UsageError(`duet search: the checkpoint embeds into ${queryFeatures.shape[1]} dims but the index holds ${index.embedDim}-dim features: use the index's model`);
    }
    const scores = matmul(index.features, queryFeatures.transpose()).contiguousData();
    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, k);
    const results = order.map((i, rank) => ({ rank: rank + 1, score: scores[i]!, path: index.items[i]!.path, captions: index.items[i]!.captions }));
    if (values["json"]) {
      io.out(JSON.stringify({ query: { [kind]: query }, results }));
      return 0;
    }
    for (const r of results) {
      const caption = r.captions.length > 0 ? `"${r.captions[0]}"${r.captions.length > 1 ? ` (+${r.captions.length - 1})` : ""}  ` : "";
      io.out(`${String(r.rank).padStart(2)}. ${r.score.toFixed(4)}  ${caption}${displayPath(r.path)}`);
    }
    return 0;
  },
};
