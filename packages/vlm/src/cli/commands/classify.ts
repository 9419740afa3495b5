/** `duet classify`: zero-shot classification of one image among labels given on the command line. */

import { softmax } from "@duet/tensor";
import { readTemplates } from "../../data/index.js";
import { buildZeroShotClassifier, checkedEncoder, embedImages, zeroShotLogits } from "../../eval/index.js";
import { existingFile, parseOrHelp, required, stringFlag, UsageError, type Command } from "../args.js";
import { loadImages, logitScaleOf, openCheckpoint } from "../inputs.js";

const USAGE = `usage: duet classify --checkpoint C --image P --labels "a,b,c" [--templates F] [--json]

Ranks the labels for the image, zero-shot: each label becomes a text (through the prompt
templates), and the image's cosine similarities to the texts, times the model's logit
scale, go through a softmax.

  --checkpoint C   the model (a Duet or an open_clip folder)
  --image P        the image (PNG or JPEG)
  --labels L       comma-separated labels, at least two
  --templates F    prompt templates, one a line (or a JSON array), each holding {} for the
                   label; several are averaged per label. Default: the label itself, "{}"
  --json           print {"image", "labels": [{"label", "probability"}, ...]}, most likely first`;

export const classifyCommand: Command = {
  summary: "rank labels for an image, zero-shot",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("classify", USAGE, args, io, {
      checkpoint: { type: "string" },
      image: { type: "string" },
      labels: { type: "string" },
      templates: { type: "string" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const checkpointPath = required("classify", values, "checkpoint");
    const image = existingFile("classify", "image", required("classify", values, "image"));
    const labels = required("classify", values, "labels").split(",").map((l) => l.trim()).filter((l) => l.length > 0);
    if (labels.length < 2) throw new UsageError(`duet classify: --labels needs at least two comma-separated labels, got ${labels.length}`);
    const duplicate = labels.find((l, i) => labels.indexOf(l) !== i);
    if (duplicate !== undefined) throw new UsageError(`duet classify: --labels names "${duplicate}" twice`);
    const templatesPath = stringFlag(values, "templates");
    const templates = templatesPath === undefined ? ["{}"] : readTemplates(existingFile("classify", "templates", templatesPath));
    const checkpoint = openCheckpoint("classify", checkpointPath);
    const features = embedImages(checkpoint.model, loadImages(checkpoint, [image]));
    const classifier = buildZeroShotClassifier(checkpoint.model, (texts) => checkedEncoder(checkpoint).tokenize(texts), labels, templates);
    const probabilities = softmax(zeroShotLogits(features, classifier, logitScaleOf(checkpoint)), -1).contiguousData();
    const ranked = labels.map((label, i) => ({ label, probability: probabilities[i]! })).sort((a, b) => b.probability - a.probability);
    if (values["json"]) {
      io.out(JSON.stringify({ image, labels: ranked }));
      return 0;
    }
    const width = Math.max(...labels.map((l) => l.length));
    for (const { label, probability } of ranked) io.out(`${label.padEnd(width)}  ${(100 * probability).toFixed(1).padStart(5)}%`);
    return 0;
  },
};
