/**
 * Worker code bundled with esbuild, in memory: one place for Duet's Node workers.
 *
 * A worker thread on Node 20 cannot load a .ts file, so a worker's entry (the kernel pool's
 * worker-entry.ts, the data-parallel trainer's dp-worker.ts) and everything it imports are
 * bundled into one CommonJS script, started with `new Worker(source, { eval: true })`.
 * esbuild is this package's dependency; it is loaded at the first bundle (about 0.1 s per
 * entry) and each entry is bundled once per process.
 *
 * Like threads.ts, this file has no static `node:` import, so browser bundlers can take it
 * (there bundleWorker refuses: a browser build bundles its workers ahead of time).
 */

import { TensorError } from "../errors.js";
import { nodeRequire } from "./node-require.js";

export interface BundleWorkerOptions {
  /** The operation named in errors, e.g. "dataParallel". Default "bundleWorker". */
  op?: string;
}

const bundled = new Map<string, string>();

/**
 * esbuild, loaded from @duet/tensor's dependencies. Errors say what to install; `op` names
 * the caller (`duet serve`, `dataParallel`, ...).
 */
export function loadEsbuild(op = "bundleWorker"): typeof import("esbuild") {
  const req = nodeRequire();
  if (req === null) throw new TensorError(op, "esbuild runs only in Node; a browser build must bundle its workers ahead of time");
  try {
    return req("esbuild") as typeof import("esbuild");
  } catch (error) {
    throw new TensorError(op, `cannot load esbuild to bundle worker code (install the workspace's dependencies): ${(error as Error).message}`);
  }
}

/** esbuild's failure as one line per problem: `file:line: text; ...`. */
export function esbuildErrorText(error: unknown): string {
  const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
  const detail = errors?.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`).join("; ");
  return detail || (error as Error).message;
}

/**
 * The CommonJS source of the Node worker whose entry is `entry` (a path, or a file URL
 * such as `new URL("./worker.ts", import.meta.url)`), with everything it imports.
 */
export function bundleWorker(entry: string | URL, options: BundleWorkerOptions = {}): string {
  const op = options.op ?? "bundleWorker";
  const esbuild = loadEsbuild(op);
  const { fileURLToPath } = nodeRequire()!("node:url") as typeof import("node:url");
  const path = entry instanceof URL || entry.startsWith("file:") ? fileURLToPath(entry) : entry;
  const known = bundled.get(path);
  if (known !== undefined) return known;
  let source: string;
  try {
    const result = esbuild.buildSync({
      entryPoints: [path],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      write: false,
      logLevel: "silent",
    });
    source = result.outputFiles[0]!.text;
  } catch (error) {
    throw new TensorError(op, `esbuild could not bundle the worker ${path}: ${esbuildErrorText(error)}`);
  }
  bundled.set(path, source);
  return source;
}
