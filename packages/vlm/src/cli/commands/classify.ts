/** `duet classify`: zero-shot classification of images among labels given on the command line or in a file. */

import { softmax } from "@duet/tensor";
import { readClassnames } from "../../data/index.js";
import { describeTemplateSets } from "../../data/prompt-template.js";
import { buildZeroShotClassifier, checkedEncoder, embedImages, zeroShotLogits } from "../../eval/index.js";
import { existingFile, oneOf, parseOrHelp, required, stringFlag, stringList, UsageError, type Command } from "../args.js";
import { loadImages, logitScaleOf, openCheckpoint, rows, templatesFlag, trainedOn } from "../inputs.js";

const USAGE = `usage: duet classify --checkpoint C --image P [--image P]... (--labels L | --labels-file F) [--templates T] [--json]

Ranks the labels for each image, zero-shot: each label becomes texts through the prompt
templates, whose embeddings are averaged; the image's cosine similarities to the labels,
times the model's logit scale, go through a softmax.

  --checkpoint C    the model (a Duet or an open_clip folder)
  --image P         an image (PNG or JPEG); repeat for more, each is ranked on its own
  --labels L        labels separated by commas, at least two; spaces around each are dropped,
                    and a label that holds a comma is quoted as in a CSV line:
                    --labels '"Washington, D.C.", Paris, London'. Repeat to add more.
  --labels-file F   the labels, one a line, or a JSON array (a .json file)
  --templates T     a template set by name, or a file of templates (one a line, or a JSON
                    array), each holding {} for the label. Default: the emoji set for a
                    checkpoint trained on emoji (its train_state.json says so), else photo:
${describeTemplateSets("                      ")}
  --json            print {"image", "labels": [{"label", "probability"}, ...], "templates"},
                    most likely first; with several images {"results": [that, ...]}, in the
                    order given`;

/**
 * The labels of one `--labels` value: split at commas, each trimmed; a label in double quotes
 * keeps its commas, and "" inside it is one quote (a CSV line's rules).
 */
export function splitLabels(value: string): string[] {
  const labels: string[] = [];
  let i = 0;
  for (;;) {
    while (value[i] === " ") i++;
    let label = "";
    if (value[i] === '"') {
      const start = i;
      i++;
      for (;;) {
        if (i >= value.length) throw new UsageError(`duet classify: --labels ${value}: unclosed quote (the one at character ${start + 1})`);
        if (value[i] === '"' && value[i + 1] === '"') [label, i] = [label + '"', i + 2];
        else if (value[i] === '"') break;
        else label += value[i++];
      }
      i++;
      const rest = value.indexOf(",", i);
      const after = value.slice(i, rest === -1 ? value.length : rest);
      if (after.trim() !== "") throw new UsageError(`duet classify: --labels ${value}: text after the quoted label "${label}"; put the whole label in the quotes`);
      i = rest === -1 ? value.length : rest;
    } else {
      const rest = value.indexOf(",", i);
      label = value.slice(i, rest === -1 ? value.length : rest).trim();
      i = rest === -1 ? value.length : rest;
    }
    if (label.length > 0) labels.push(label);
    if (i >= value.length) return labels;
    i++; // the comma
  }
}

export const classifyCommand: Command = {
  summary: "rank labels for images, zero-shot",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("classify", USAGE, args, io, {
      checkpoint: { type: "string" },
      image: { type: "string", multiple: true },
      labels: { type: "string", multiple: true },
      "labels-file": { type: "string" },
      templates: { type: "string" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const checkpointPath = required("classify", values, "checkpoint");
    const images = stringList(values, "image").map((path) => existingFile("classify", "image", path));
    if (images.length === 0) throw new UsageError("duet classify: --image is required; see duet classify --help");
    const source = oneOf("classify", values, ["labels", "labels-file"], true);
    const labels = source === "labels" ? stringList(values, "labels").flatMap(splitLabels) : readClassnames(existingFile("classify", "labels-file", stringFlag(values, "labels-file")!));
    if (labels.length < 2) throw new UsageError(`duet classify: --${source} needs at least two labels, got ${labels.length}`);
    const duplicate = labels.find((l, i) => labels.indexOf(l) !== i);
    if (duplicate !== undefined) throw new UsageError(`duet classify: --labels names "${duplicate}" twice`);
    const templatesValue = stringFlag(values, "templates");
    const given = templatesValue === undefined ? undefined : templatesFlag("classify", templatesValue);
    const checkpoint = openCheckpoint("classify", checkpointPath);
    const { name, templates } = given ?? templatesFlag("classify", trainedOn(checkpoint.dir));
    const features = embedImages(checkpoint.model, loadImages(checkpoint, images));
    const classifier = buildZeroShotClassifier(checkpoint.model, (texts) => checkedEncoder(checkpoint).tokenize(texts), labels, templates);
    const probabilities = rows(softmax(zeroShotLogits(features, classifier, logitScaleOf(checkpoint)), -1));
    const results = images.map((image, i) => ({
      image,
      labels: labels.map((label, k) => ({ label, probability: probabilities[i]![k]! })).sort((a, b) => b.probability - a.probability),
      templates: name,
    }));
    if (values["json"]) {
      io.out(JSON.stringify(results.length === 1 ? results[0] : { results }));
      return 0;
    }
    const width = Math.max(...labels.map((l) => l.length));
    for (const { image, labels: ranked } of results) {
      if (results.length > 1) io.out(`${image}:`);
      const indent = results.length > 1 ? "  " : "";
      for (const { label, probability } of ranked) io.out(`${indent}${label.padEnd(width)}  ${(100 * probability).toFixed(1).padStart(5)}%`);
    }
    return 0;
  },
};
