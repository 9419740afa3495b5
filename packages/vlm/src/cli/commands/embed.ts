/** `duet embed`: L2-normalised image and text features, and the similarities between them. */

import { matmul } from "@duet/tensor";
import { existingFile, parseOrHelp, required, stringList, UsageError, type Command } from "../args.js";
import { checkedEncoder, embedImages, embedTextList } from "../../eval/index.js";
import { loadImages, logitScaleOf, openCheckpoint, rows } from "../inputs.js";

const USAGE = `usage: duet embed --checkpoint C [--image P]... [--text S]... [--json]

Embeds images and texts with a checkpoint (a Duet or an open_clip folder). Features are
L2-normalised, so a dot product is a cosine similarity.

  --checkpoint C   the model
  --image P        an image file (PNG or JPEG); repeat for more
  --text S         a text; repeat for more
  --json           print {"image_features": [[...]], "text_features": [[...]], "logit_scale"}
                   (logit_scale is exp(logit_scale), the multiplier of cosine similarities,
                   as open_clip's forward returns it)

Without --json: each feature vector's first values, then the image-text cosine similarities.`;

export const embedCommand: Command = {
  summary: "embed images and texts (L2-normalised features)",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("embed", USAGE, args, io, {
      checkpoint: { type: "string" },
      image: { type: "string", multiple: true },
      text: { type: "string", multiple: true },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const checkpointPath = required("embed", values, "checkpoint");
    const images = stringList(values, "image").map((p) => existingFile("embed", "image", p));
    const texts = stringList(values, "text");
    if (images.length === 0 && texts.length === 0) throw new UsageError("duet embed: give at least one --image P or --text S");
    const checkpoint = openCheckpoint("embed", checkpointPath);
    const imageFeatures = images.length > 0 ? embedImages(checkpoint.model, loadImages(checkpoint, images)) : undefined;
    const textFeatures = texts.length > 0 ? embedTextList(checkedEncoder(checkpoint), texts) : undefined;
    const logitScale = logitScaleOf(checkpoint);
    if (values["json"]) {
      io.out(JSON.stringify({
        image_features: imageFeatures ? rows(imageFeatures) : [],
        text_features: textFeatures ? rows(textFeatures) : [],
        logit_scale: logitScale,
      }));
      return 0;
    }
    const show = (v: number[]) => `[${v.slice(0, 4).map((x) => x.toFixed(4)).join(", ")}${v.length > 4 ? ", ..." : ""}] (${v.length} dims)`;
    if (imageFeatures) rows(imageFeatures).forEach((v, i) => io.out(`image ${images[i]}: ${show(v)}`));
    if (textFeatures) rows(textFeatures).forEach((v, i) => io.out(`text ${JSON.stringify(texts[i])}: ${show(v)}`));
    if (imageFeatures && textFeatures) {
      const sims = rows(matmul(imageFeatures, textFeatures.transpose()));
      io.out(`cosine similarity (rows: images, columns: texts; logit scale ${logitScale.toFixed(2)}):`);
      sims.forEach((row, i) => io.out(`  ${row.map((s) => s.toFixed(4).padStart(8)).join(" ")}  ${images[i]}`));
    }
    return 0;
  },
};
