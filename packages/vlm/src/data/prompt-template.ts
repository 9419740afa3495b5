/**
 * Prompt templates for zero-shot classification: a template holds `{}` where the class name
 * goes, as open_clip's templates do ("a photo of a {}."). Pure string work, shared by the
 * browser's zero-shot; reading template files (node:fs) is prompts.ts.
 */

/** CLIP's single most common prompt, the fallback when no templates are given. */
export const DEFAULT_TEMPLATES: readonly string[] = ["a photo of a {}."];

/** The prompt for one class: every `{}` replaced by the name. */
export function fillTemplate(template: string, classname: string): string {
  return template.split("{}").join(classname);
}
