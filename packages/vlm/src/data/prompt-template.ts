/**
 * Prompt templates for zero-shot classification: a template holds `{}` where the class name
 * goes, as open_clip's templates do ("a photo of a {}."). A class's text embedding is the mean
 * over its templates (open_clip's zero-shot classifier).
 *
 * One default set per kind of data, and only here: `duet classify`, `duet eval zeroshot`, the
 * evaluator during training and the page's Classify tab all take their defaults from this
 * file, so the same image, labels and checkpoint give the same probabilities everywhere. Pure
 * string work, shared by the browser; reading template files (node:fs) is prompts.ts.
 */

/**
 * Photos: open_clip's SIMPLE_IMAGENET_TEMPLATES (zero_shot_metadata.py), the seven of its 80
 * ImageNet prompts that CLIP's prompt-engineering notebook chose — most of the 80's gain for
 * a twelfth of the text encodings.
 */
export const PHOTO_TEMPLATES: readonly string[] = [
  "itap of a {}.",
  "a bad photo of the {}.",
  "a origami {}.",
  "a photo of the large {}.",
  "a {} in a video game.",
  "art of the {}.",
  "a photo of the small {}.",
];

/** Emoji (OpenMoji, Noto, Fluent): the drawings are emojis and icons, not photos. */
export const EMOJI_TEMPLATES: readonly string[] = ["an emoji of {}.", "an emoji of a {}.", "a {} emoji.", "an icon of {}.", "{}"];

/** The sets by name, as `--templates photo|emoji` names them. */
export const TEMPLATE_SETS = { photo: PHOTO_TEMPLATES, emoji: EMOJI_TEMPLATES } as const;

export type TemplateSetName = keyof typeof TEMPLATE_SETS;

export function isTemplateSetName(name: string): name is TemplateSetName {
  return Object.hasOwn(TEMPLATE_SETS, name);
}

/** The default for data of no known kind (a manifest of the user's): the photo set. */
export const DEFAULT_TEMPLATES: readonly string[] = PHOTO_TEMPLATES;

/** The sets as --help prints them: each name, then its templates quoted, wrapped at `width` columns. */
export function describeTemplateSets(indent: string, width = 92): string {
  const lines: string[] = [];
  for (const [name, templates] of Object.entries(TEMPLATE_SETS)) {
    let line = `${indent}${name.padEnd(6)}`;
    for (const [i, template] of templates.entries()) {
      const piece = `${JSON.stringify(template)}${i < templates.length - 1 ? "," : ""}`;
      if (line.length + 1 + piece.length > width && line.trim() !== name) {
        lines.push(line);
        line = `${indent}${" ".repeat(6)}`;
      }
      line += ` ${piece}`;
    }
    lines.push(line);
  }
  return lines.join("\n");
}

/** The prompt for one class: every `{}` replaced by the name. */
export function fillTemplate(template: string, classname: string): string {
  return template.split("{}").join(classname);
}
