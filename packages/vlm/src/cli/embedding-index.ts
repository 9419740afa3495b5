/**
 * The embedding index of `duet index` / `duet search`: a folder written atomically (a reader
 * sees the old index or the new one, never features beside the wrong list of paths).
 *
 *   INDEX/index.json            {"format": "duet-index", "version": 2,
 *                                "checkpoint": {"path": P, "fingerprint": "sha256:…"},
 *                                "embed_dim": D, "count": N,
 *                                "items": [{"path", "captions"}],
 *                                "skipped": [{"path", "error"}]}     images that could not be read
 *   INDEX/features.safetensors  "features": float32 (N, D), the L2-normalised image features
 *   INDEX/embeddings.npy        the same (N, D) float32 as NumPy .npy (np.load; clip-retrieval's
 *                               img_emb)
 *   INDEX/metadata.csv          one row per image, in the features' order: image_path, caption
 *                               (the first), captions (all of them, as a JSON list)
 *   INDEX/.duet-out.json        the marker of a folder Duet wrote (cli/out-dir.ts)
 *
 * Row i of the features is items[i]. Every path (the items, the checkpoint, metadata.csv's) is
 * stored relative to the index folder, with "/" between names, so an index moved together with
 * its images keeps working, and moving the checkpoint only needs `search --checkpoint`. A path
 * is absolute only where no relative one leads (another drive on Windows). A reader resolves a
 * stored path against the index folder; an absolute one stays as it is.
 *
 * The fingerprint is the SHA-256 of the model's weights (weightsFingerprint): `duet search`
 * compares it with the model it embeds its query with, so an index whose checkpoint was
 * retrained in place, or a wrong --checkpoint, is an error instead of meaningless scores.
 * Version 1 (absolute paths, no fingerprint) is still read.
 */

import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { serializeSafetensors } from "@duet/nn";
import { openSafetensorsFile } from "@duet/nn/node";
import type { Tensor } from "@duet/tensor";
import { writeFileDurable, writeFolderAtomic } from "../model/atomic-folder.js";
import { UsageError } from "./args.js";
import { npyBytes } from "./npy.js";
import { OUT_MARKER } from "./out-dir.js";

export const INDEX_FORMAT = "duet-index";
export const INDEX_VERSION = 2;
export const INDEX_FEATURES_FILE = "features.safetensors";
export const INDEX_JSON_FILE = "index.json";
export const INDEX_NPY_FILE = "embeddings.npy";
export const INDEX_METADATA_FILE = "metadata.csv";

export interface IndexItem {
  /** Where the image is: as given when writing; resolved (absolute) when read. */
  path: string;
  captions: string[];
}

export interface SkippedImage {
  path: string;
  error: string;
}

export interface EmbeddingIndex {
  /** The model the features came from: as given when writing; resolved when read (null: a version-1 index that named none). */
  checkpoint: string | null;
  /** "sha256:…" of its weights (weightsFingerprint); null in a version-1 index. */
  fingerprint: string | null;
  embedDim: number;
  items: IndexItem[];
  /** (N, D) normalised image features. */
  features: Tensor;
  skipped: SkippedImage[];
}

/**
 * "sha256:<hex>" of a model's weights: every tensor of its state dict, in name order, as its
 * name, its shape and its values in float32 little-endian. It names the weights, not the file:
 * the same model saved as a Duet or an open_clip folder has one fingerprint.
 */
export function weightsFingerprint(stateDict: ReadonlyMap<string, Tensor>): string {
  const hash = createHash("sha256");
  for (const name of [...stateDict.keys()].sort()) {
    const tensor = stateDict.get(name)!;
    hash.update(`${name}\0${tensor.shape.join(",")}\0`);
    // a Float32Array's bytes are little-endian on every platform Node runs on
    const data = tensor.contiguousData();
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return `sha256:${hash.digest("hex")}`;
}

/** `path` as the index folder `dir` stores it: relative to `dir` with "/" between names, absolute when no relative path leads there. */
export function storedPath(dir: string, path: string): string {
  const rel = relative(resolve(dir), resolve(path));
  return isAbsolute(rel) ? resolve(path) : rel.split(sep).join("/");
}

/** A stored path read back: resolved against the index folder (an absolute one stays as it is). */
export function resolveStored(dir: string, stored: string): string {
  return resolve(dir, stored);
}

/** One CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function writeIndex(dir: string, index: EmbeddingIndex): void {
  const [n, d] = index.features.shape as [number, number];
  if (n !== index.items.length || d !== index.embedDim) throw new Error(`writeIndex: features are ${n}x${d} for ${index.items.length} items of ${index.embedDim} dims`);
  const values = Float32Array.from(index.features.contiguousData());
  const features = serializeSafetensors({ features: index.features }, { floatDtype: "F32", metadata: { format: INDEX_FORMAT } });
  const items = index.items.map((item) => ({ path: storedPath(dir, item.path), captions: item.captions }));
  const json = {
    format: INDEX_FORMAT,
    version: INDEX_VERSION,
    checkpoint: { path: index.checkpoint === null ? null : storedPath(dir, index.checkpoint), fingerprint: index.fingerprint },
    embed_dim: index.embedDim,
    count: n,
    items,
    skipped: index.skipped.map((s) => ({ path: storedPath(dir, s.path), error: s.error })),
  };
  const metadata = ["image_path,caption,captions", ...items.map((item) => [item.path, item.captions[0] ?? "", JSON.stringify(item.captions)].map(csvField).join(","))];
  writeFolderAtomic("duet index", dir, (tmp) => {
    writeFileDurable(join(tmp, INDEX_FEATURES_FILE), features);
    writeFileDurable(join(tmp, INDEX_NPY_FILE), npyBytes(values, [n, d]));
    writeFileDurable(join(tmp, INDEX_METADATA_FILE), `${metadata.join("\n")}\n`);
    writeFileDurable(join(tmp, INDEX_JSON_FILE), `${JSON.stringify(json, null, 1)}\n`);
    // the folder replaces the claimed one whole: it keeps the claim's marker
    if (existsSync(join(dir, OUT_MARKER))) copyFileSync(join(dir, OUT_MARKER), join(tmp, OUT_MARKER));
  });
}

/** Reads an index folder (version 1 or 2), checking that the list and the features agree; paths come back resolved. */
export function readIndex(command: string, dir: string): EmbeddingIndex {
  const jsonPath = join(dir, INDEX_JSON_FILE);
  const featuresPath = join(dir, INDEX_FEATURES_FILE);
  if (!existsSync(dir)) throw new UsageError(`duet ${command}: --index ${dir}: no such folder`);
  if (!existsSync(jsonPath) || !existsSync(featuresPath)) {
    throw new UsageError(`duet ${command}: --index ${dir}: not an index folder (expected ${INDEX_JSON_FILE} and ${INDEX_FEATURES_FILE}; build one with duet index)`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(jsonPath, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`duet ${command}: ${jsonPath} is not valid JSON: ${(error as Error).message}`);
  }
  const bad = (why: string) => new UsageError(`duet ${command}: ${jsonPath}: ${why}`);
  if (json === null || typeof json !== "object" || json["format"] !== INDEX_FORMAT) throw bad(`not a Duet index (format is not "${INDEX_FORMAT}")`);
  const version = json["version"];
  if (version !== 1 && version !== INDEX_VERSION) throw bad(`index version ${JSON.stringify(version)}, this Duet reads versions 1 and ${INDEX_VERSION}`);
  const items = json["items"];
  const embedDim = json["embed_dim"];
  if (!Array.isArray(items) || !items.every((it) => it && typeof it.path === "string" && Array.isArray(it.captions))) throw bad(`"items" must be a list of {"path", "captions"}`);
  if (!Number.isInteger(embedDim) || (embedDim as number) < 1) throw bad(`"embed_dim" must be a positive integer`);
  let checkpoint: string | null;
  let fingerprint: string | null = null;
  if (version === 1) {
    if (typeof json["checkpoint"] !== "string") throw bad(`"checkpoint" must be a path`);
    checkpoint = json["checkpoint"];
  } else {
    const c = json["checkpoint"] as { path?: unknown; fingerprint?: unknown } | null;
    if (c === null || typeof c !== "object" || (c.path !== null && typeof c.path !== "string") || (c.fingerprint !== null && typeof c.fingerprint !== "string")) {
      throw bad(`"checkpoint" must be {"path", "fingerprint"}`);
    }
    checkpoint = c.path as string | null;
    fingerprint = c.fingerprint as string | null;
  }
  const skipped = Array.isArray(json["skipped"]) ? (json["skipped"] as SkippedImage[]).filter((s) => s && typeof s.path === "string") : [];
  const features = openSafetensorsFile(featuresPath).tensor("features");
  if (features.ndim !== 2 || features.shape[0] !== items.length || features.shape[1] !== embedDim) {
    throw new UsageError(`duet ${command}: ${featuresPath}: features are [${features.shape}], but ${INDEX_JSON_FILE} lists ${items.length} items of ${embedDim} dims`);
  }
  return {
    checkpoint: checkpoint === null ? null : resolveStored(dir, checkpoint),
    fingerprint,
    embedDim: embedDim as number,
    items: (items as IndexItem[]).map((item) => ({ path: resolveStored(dir, item.path), captions: item.captions })),
    features,
    skipped: skipped.map((s) => ({ path: resolveStored(dir, s.path), error: String(s.error) })),
  };
}
