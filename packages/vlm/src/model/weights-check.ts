/**
 * Does a config describe these weights? Before a checkpoint is loaded, the sizes a config
 * states are read back from the tensor shapes in the safetensors header (nothing is decoded),
 * so a mismatch is reported as the config field that is wrong, not as a bare shape error:
 *
 *   config.json does not match model.safetensors: vision_cfg.width = 64, but
 *   visual.conv1.weight is [32, 3, 8, 8], which means 32
 *
 * What the shapes tell (open_clip's own `build_model_from_openai_state_dict` reads them too):
 *   visual.conv1.weight [width, 3, P, P]            vision width, patch_size
 *   visual.positional_embedding [G² + 1, width]     image_size / patch_size = G
 *   visual.proj [width, embed]                      embed_dim
 *   visual.transformer.resblocks.N.*                vision layers
 *   …resblocks.0.mlp.c_fc.weight [hidden, width]    mlp_ratio = hidden / width
 *   token_embedding.weight [vocab, width]           vocab_size, text width
 *   positional_embedding [context, width]           context_length
 *   text_projection [width, embed] (or .weight [embed, width])
 *   transformer.resblocks.N.*                       text layers
 * A CoCa's text tower is under `text.` (its positional_embedding has context + 1 rows, for the
 * class token); its decoder shows multimodal_cfg's width and layers (text_decoder.resblocks.N,
 * text_decoder.cross_attn.N) and the vocabulary (text_decoder.text_projection [width, vocab]);
 * visual.attn_pool.query [queries, embed] shows attn_pooler_queries.
 * Head counts are not visible (q, k, v are packed): a wrong `heads` loads and computes other
 * numbers, as it would in open_clip.
 */

import { fmtShape, type Tensor } from "@duet/tensor";
import type { ModelConfig } from "./config.js";
import { ModelError } from "./errors.js";

type Shapes = ReadonlyMap<string, readonly number[]>;

interface Check {
  field: string;
  expected: number;
  key: string;
  /** The value the shape implies, or undefined if the shape is not of the expected rank. */
  implied: (shape: readonly number[]) => number | undefined;
}

function countBlocks(shapes: Shapes, prefix: string): number | undefined {
  let max = -1;
  const re = new RegExp(`^${prefix.replace(/\./g, "\\.")}(\\d+)\\.`);
  for (const key of shapes.keys()) {
    const m = re.exec(key);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max < 0 ? undefined : max + 1;
}

const dim = (i: number, rank: number) => (s: readonly number[]) => (s.length === rank ? s[i] : undefined);

function visionChecks(config: ModelConfig): Check[] {
  const v = config.vision_cfg;
  if (config.duet.image_tower === "cnn") {
    const c = config.duet.cnn_channels;
    return c.map((channels, i) => ({ field: `duet.cnn_channels[${i}]`, expected: channels, key: `visual.blocks.${i}.conv.weight`, implied: dim(0, 4) }));
  }
  const grid = Math.floor(v.image_size / v.patch_size);
  const checks: Check[] = [
    { field: "vision_cfg.width", expected: v.width, key: "visual.conv1.weight", implied: dim(0, 4) },
    { field: "vision_cfg.patch_size", expected: v.patch_size, key: "visual.conv1.weight", implied: dim(2, 4) },
    { field: "vision_cfg.width", expected: v.width, key: "visual.positional_embedding", implied: dim(1, 2) },
    { field: "(vision_cfg.image_size / patch_size)² + 1 tokens", expected: grid * grid + 1, key: "visual.positional_embedding", implied: dim(0, 2) },
    { field: "vision_cfg.mlp_ratio · width", expected: Math.floor(v.width * v.mlp_ratio), key: "visual.transformer.resblocks.0.mlp.c_fc.weight", implied: dim(0, 2) },
  ];
  if (config.duet.projection === "linear") checks.push({ field: "embed_dim", expected: config.embed_dim, key: "visual.proj", implied: dim(1, 2) });
  return checks;
}

/** Where the text tower's tensors are: at the top level in a CLIP, under `text.` in a CoCa. */
const textPrefix = (config: ModelConfig) => (config.multimodal_cfg === null ? "" : "text.");

function textChecks(config: ModelConfig): Check[] {
  const t = config.text_cfg;
  const p = textPrefix(config);
  const positions = t.context_length + (t.embed_cls ? 1 : 0);
  const checks: Check[] = [
    { field: "text_cfg.vocab_size", expected: t.vocab_size, key: `${p}token_embedding.weight`, implied: dim(0, 2) },
    { field: "text_cfg.width", expected: t.width, key: `${p}token_embedding.weight`, implied: dim(1, 2) },
    { field: t.embed_cls ? "text_cfg.context_length + 1 (the class token)" : "text_cfg.context_length", expected: positions, key: `${p}positional_embedding`, implied: dim(0, 2) },
    { field: "text_cfg.mlp_ratio · width", expected: Math.floor(t.width * t.mlp_ratio), key: `${p}transformer.resblocks.0.mlp.c_fc.weight`, implied: dim(0, 2) },
  ];
  if (config.duet.projection === "linear" && t.proj_type === "linear") {
    if (t.proj_bias) checks.push({ field: "embed_dim", expected: config.embed_dim, key: `${p}text_projection.weight`, implied: dim(0, 2) });
    else checks.push({ field: "embed_dim", expected: config.embed_dim, key: `${p}text_projection`, implied: dim(1, 2) });
  }
  return checks;
}

function cocaChecks(config: ModelConfig): Check[] {
  const m = config.multimodal_cfg;
  if (m === null) return [];
  const checks: Check[] = [
    { field: "multimodal_cfg.width", expected: m.width, key: "text_decoder.text_projection", implied: dim(0, 2) },
    { field: "text_cfg.vocab_size (the decoder's vocabulary)", expected: config.text_cfg.vocab_size, key: "text_decoder.text_projection", implied: dim(1, 2) },
  ];
  const v = config.vision_cfg;
  if (v.attentional_pool) {
    checks.push({ field: "vision_cfg.attn_pooler_queries", expected: v.attn_pooler_queries, key: "visual.attn_pool.query", implied: dim(0, 2) });
    checks.push({ field: "embed_dim", expected: config.embed_dim, key: "visual.attn_pool.query", implied: dim(1, 2) });
  }
  return checks;
}

/**
 * The mismatches between a config and the tensor shapes of a state dict, one line each
 * (empty when they agree on everything the shapes show).
 */
export function configMismatches(config: ModelConfig, shapes: Shapes): string[] {
  const problems: string[] = [];
  for (const check of [...visionChecks(config), ...textChecks(config), ...cocaChecks(config)]) {
    const shape = shapes.get(check.key);
    if (shape === undefined) continue; // a missing key is reported by the strict load
    const implied = check.implied(shape);
    if (implied === undefined) problems.push(`${check.key} is ${fmtShape(shape)}, not the shape ${check.field} = ${check.expected} gives`);
    else if (implied !== check.expected) problems.push(`${check.field} = ${check.expected}, but ${check.key} is ${fmtShape(shape)}, which means ${implied}`);
  }
  const layerChecks: [string, number, string][] = [["text_cfg.layers", config.text_cfg.layers, `${textPrefix(config)}transformer.resblocks.`]];
  if (config.duet.image_tower === "vit") layerChecks.unshift(["vision_cfg.layers", config.vision_cfg.layers, "visual.transformer.resblocks."]);
  if (config.multimodal_cfg !== null) {
    for (const part of ["resblocks", "cross_attn"]) layerChecks.push(["multimodal_cfg.layers", config.multimodal_cfg.layers, `text_decoder.${part}.`]);
  }
  for (const [field, expected, prefix] of layerChecks) {
    const found = countBlocks(shapes, prefix);
    if (found !== undefined && found !== expected) problems.push(`${field} = ${expected}, but the weights have ${found} blocks (${prefix}0 … ${prefix}${found - 1})`);
  }
  return problems;
}

/** The first tensor holding a NaN or an Inf: its name, how many such values, the first one and where. */
export interface NonFinite {
  name: string;
  count: number;
  value: number;
  index: number;
}

/**
 * The first tensor (in the map's order) with a NaN or Inf, or null when every value is finite.
 * One NaN weight makes every feature NaN, and NaN compares false with everything: zero-shot
 * then "ranks" the right class first and reports 100% (sorting NaNs keeps the input order), so
 * weights are checked when they are loaded and before they are saved.
 */
export function findNonFinite(tensors: Iterable<readonly [string, Tensor]>): NonFinite | null {
  for (const [name, tensor] of tensors) {
    if (tensor.dtype !== "float32" && tensor.dtype !== "float64") continue;
    const data = tensor.contiguousData();
    let count = 0;
    let first = -1;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        if (first < 0) first = i;
        count++;
      }
    }
    if (count > 0) return { name, count, value: data[first]!, index: first };
  }
  return null;
}

/** "visual.proj holds a NaN (at flat index 12 of 2048)", "… holds 3 non-finite values, the first an Inf (…)". */
export function describeNonFinite(bad: NonFinite, size?: number): string {
  const kind = Number.isNaN(bad.value) ? "a NaN" : bad.value > 0 ? "an Inf" : "a -Inf";
  const more = bad.count > 1 ? `${bad.count} non-finite values, the first ${kind}` : kind;
  return `${bad.name} holds ${more} (at flat index ${bad.index}${size === undefined ? "" : ` of ${size}`})`;
}

/** Throws a ModelError naming the first tensor with a NaN or Inf (`op`: the caller, `source`: the file). */
export function checkFiniteWeights(op: string, tensors: ReadonlyMap<string, Tensor>, source: string | undefined, what: string): void {
  const bad = findNonFinite(tensors);
  if (bad === null) return;
  throw new ModelError(op, `${what}: ${describeNonFinite(bad, tensors.get(bad.name)?.size)}; a model with a NaN or Inf weight gives NaN features, so it is refused`, source);
}
