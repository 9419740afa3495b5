/** `duet search`: the images of an index closest to texts or images. */

import { existsSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { concat, matmul, type Tensor } from "@duet/tensor";
import { existingFile, parseOrHelp, positiveInt, required, stringFlag, stringList, UsageError, type Command } from "../args.js";
import { INDEX_JSON_FILE, readIndex, weightsFingerprint, type EmbeddingIndex } from "../embedding-index.js";
import { checkedEncoder, embedImages, embedTextList } from "../../eval/index.js";
import { loadImages, openCheckpoint } from "../inputs.js";
import type { LoadedCheckpoint } from "../../model/index.js";

const USAGE = `usage: duet search --index INDEX (--text S | --image P)... [--k N] [--json]

Ranks the images of an index (built by duet index) by cosine similarity to each query: a
text (text-to-image search) or an image (similar images). --text and --image may be given
several times, and together; the queries are answered texts first, then images, each in
the order given.

  --index INDEX         the index folder
  --text S              a text query (repeatable)
  --image P             an image query, PNG or JPEG (repeatable)
  --k N                 how many results per query (default 5)
  --checkpoint C        embed the queries with this model instead of the one the index
                        names (for a checkpoint that moved: the index remembers its path
                        relative to the index folder)
  --ignore-fingerprint  search even when the model's weights differ from those the index
                        was built with (the scores then mean little)
  --json                print {"queries": [{"query": {"text": S} or {"image": P},
                        "results": [{"rank", "score", "path", "captions"}]}]}, one entry per
                        query in the order above; paths are absolute

The model must be the one the index was built with: its weights' SHA-256 fingerprint, kept
in INDEX/index.json, is checked (a mismatch is an error naming both).`;

/** A path relative to the current folder when it lies below it, else as stored. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

/** The model to embed the queries with: --checkpoint, else the index's, checked against the index's fingerprint. */
function queryModel(index: EmbeddingIndex, indexDir: string, given: string | undefined, ignoreFingerprint: boolean): LoadedCheckpoint {
  const recorded = join(indexDir, INDEX_JSON_FILE);
  if (given === undefined) {
    if (index.checkpoint === null) throw new UsageError(`duet search: ${recorded} names no checkpoint; give --checkpoint C, the model the index was built with`);
    if (!existsSync(index.checkpoint)) {
      throw new UsageError(`duet search: the index's checkpoint ${displayPath(index.checkpoint)} (recorded in ${recorded}) is not there any more; give --checkpoint C, the model the index was built with, where it is now`);
    }
  }
  const checkpoint = openCheckpoint("search", given ?? index.checkpoint!);
  if (index.fingerprint === null || ignoreFingerprint) return checkpoint;
  const fingerprint = weightsFingerprint(checkpoint.model.stateDict());
  if (fingerprint !== index.fingerprint) {
    const whose = given === undefined ? `the index's checkpoint ${displayPath(checkpoint.dir)} now holds other weights (retrained?)` : `--checkpoint ${given} holds other weights than the index was built with`;
    throw new UsageError(
      `duet search: ${whose}: the index's fingerprint is ${index.fingerprint}, the checkpoint's ${fingerprint}; rebuild the index with duet index, or give --ignore-fingerprint to search anyway`,
    );
  }
  return checkpoint;
}

export const searchCommand: Command = {
  summary: "search an embedding index with texts or images",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("search", USAGE, args, io, {
      index: { type: "string" },
      text: { type: "string", multiple: true },
      image: { type: "string", multiple: true },
      k: { type: "string" },
      checkpoint: { type: "string" },
      "ignore-fingerprint": { type: "boolean" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const indexDir = required("search", values, "index");
    const texts = stringList(values, "text");
    const images = stringList(values, "image");
    if (texts.length + images.length === 0) throw new UsageError("duet search: give one of --text, --image, or several (each may be repeated); see duet search --help");
    const k = positiveInt("search", "k", values["k"], 5);
    for (const text of texts) if (text.trim() === "") throw new UsageError("duet search: --text is empty");
    for (const image of images) existingFile("search", "image", image);
    const index = readIndex("search", indexDir);
    const checkpoint = queryModel(index, indexDir, stringFlag(values, "checkpoint"), Boolean(values["ignore-fingerprint"]));
    const parts: Tensor[] = [];
    if (texts.length > 0) parts.push(embedTextList(checkedEncoder(checkpoint), texts));
    if (images.length > 0) parts.push(embedImages(checkpoint.model, loadImages(checkpoint, images)));
    const queryFeatures = parts.length === 1 ? parts[0]! : concat(parts, 0);
    if (queryFeatures.shape[1] !== index.embedDim) {
      throw new UsageError(`duet search: the checkpoint embeds into ${queryFeatures.shape[1]} dims but the index holds ${index.embedDim}-dim features: use the index's model`);
    }
    // scores[i, q]: image i of the index against query q (both L2-normalised: the cosine)
    const queries = [...texts.map((text) => ({ text })), ...images.map((image) => ({ image }))];
    const scores = matmul(index.features, queryFeatures.transpose()).contiguousData();
    const n = index.items.length;
    const answers = queries.map((query, q) => {
      const score = (i: number) => scores[i * queries.length + q]!;
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score(b) - score(a) || a - b).slice(0, k);
      return { query, results: order.map((i, rank) => ({ rank: rank + 1, score: score(i), path: index.items[i]!.path, captions: index.items[i]!.captions })) };
    });
    if (values["json"]) {
      io.out(JSON.stringify({ queries: answers }));
      return 0;
    }
    for (const { query, results } of answers) {
      if (answers.length > 1) io.out(`${"text" in query ? `text "${query.text}"` : `image ${query.image}`}:`);
      for (const r of results) {
        const caption = r.captions.length > 0 ? `"${r.captions[0]}"${r.captions.length > 1 ? ` (+${r.captions.length - 1})` : ""}  ` : "";
        io.out(`${String(r.rank).padStart(2)}. ${r.score.toFixed(4)}  ${caption}${displayPath(r.path)}`);
      }
    }
    return 0;
  },
};
