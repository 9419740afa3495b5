/**
 * The embedding index of `duet index` / `duet search`: a folder written atomically (a reader
 * sees the old index or the new one, never features beside the wrong list of paths).
 *
 *   INDEX/features.safetensors   "features": float32 (N, D), L2-normalised image features
 *   INDEX/index.json             {"format": "duet-index", "version": 1, "checkpoint": path,
 *                                 "embed_dim": D, "count": N, "items": [{"path", "captions"}]}
 *
 * Row i of the features is items[i]. The checkpoint is recorded (as an absolute path) so a
 * search embeds its query with the same model.
 */

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { serializeSafetensors } from "@duet/nn";
import { openSafetensorsFile } from "@duet/nn/node";
import type { Tensor } from "@duet/tensor";
import { writeFileDurable, writeFolderAtomic } from "../model/atomic-folder.js";
import { UsageError } from "./args.js";

export const INDEX_FORMAT = "duet-index";
export const INDEX_VERSION = 1;
export const INDEX_FEATURES_FILE = "features.safetensors";
export const INDEX_JSON_FILE = "index.json";

export interface IndexItem {
  path: string;
  captions: string[];
}

export interface EmbeddingIndex {
  checkpoint: string;
  embedDim: number;
  items: IndexItem[];
  /** (N, D) normalised image features. */
  features: Tensor;
}

export function writeIndex(dir: string, index: EmbeddingIndex): void {
  const [n, d] = index.features.shape as [number, number];
  if (n !== index.items.length || d !== index.embedDim) throw new Error(`writeIndex: features are ${n}x${d} for ${index.items.length} items of ${index.embedDim} dims`);
  const features = serializeSafetensors({ features: index.features }, { floatDtype: "F32", metadata: { format: INDEX_FORMAT } });
  const json = {
    format: INDEX_FORMAT,
    version: INDEX_VERSION,
    checkpoint: resolve(index.checkpoint),
    embed_dim: index.embedDim,
    count: n,
    items: index.items,
  };
  writeFolderAtomic("duet index", dir, (tmp) => {
    writeFileDurable(join(tmp, INDEX_FEATURES_FILE), features);
    writeFileDurable(join(tmp, INDEX_JSON_FILE), `${JSON.stringify(json, null, 1)}\n`);
  });
}

/** Reads an index folder, checking that the list and the features agree. */
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
  if (json["version"] !== INDEX_VERSION) throw bad(`index version ${JSON.stringify(json["version"])}, this Duet reads version ${INDEX_VERSION}`);
  const items = json["items"];
  const embedDim = json["embed_dim"];
  if (!Array.isArray(items) || !items.every((it) => it && typeof it.path === "string" && Array.isArray(it.captions))) throw bad(`"items" must be a list of {"path", "captions"}`);
  if (typeof json["checkpoint"] !== "string") throw bad(`"checkpoint" must be a path`);
  if (!Number.isInteger(embedDim) || (embedDim as number) < 1) throw bad(`"embed_dim" must be a positive integer`);
  const features = openSafetensorsFile(featuresPath).tensor("features");
  if (features.ndim !== 2 || features.shape[0] !== items.length || features.shape[1] !== embedDim) {
    throw new UsageError(`duet ${command}: ${featuresPath}: features are [${features.shape}], but ${INDEX_JSON_FILE} lists ${items.length} items of ${embedDim} dims`);
  }
  return { checkpoint: json["checkpoint"], embedDim: embedDim as number, items: items as IndexItem[], features };
}
