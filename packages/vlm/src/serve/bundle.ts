/**
 * The browser build: esbuild bundles the page and its two workers from TypeScript, in
 * memory, when the server starts (about a second).
 *
 *   app/page.js     the page's own script: the tabs, the charts; no engine code
 *   app/engine.js   the engine worker: tensor, autograd, nn and the model code
 *   app/pool.js     a pool worker: the kernels only (@duet/tensor's pool/browser-host.ts)
 *   app/duet.js     the browser-safe API as a module, for a page of your own (browser/index.ts)
 *   app/style.css, index.html   copied as they are
 *
 * No Node built-in may reach the browser, nor a package only the Node side uses (CSV parsing,
 * the PNG/JPEG decoders, the SVG rasteriser, progress bars). Some shared modules mix pure logic
 * with Node I/O (safetensors/file.ts beside the safetensors parser; data/prompts.ts, whose
 * fillTemplate zero-shot needs, beside a file reader that parses CSV); the browser code imports
 * only the pure parts, and each such import left behind is marked external and free of side
 * effects, so esbuild drops it when nothing uses it. Any that survives tree-shaking fails the
 * build, naming the module that pulled it in.
 */

import { readFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { BuildResult, Metafile, Plugin } from "esbuild";
import { esbuildErrorText, loadEsbuild } from "@duet/tensor";

export interface Asset {
  readonly body: Uint8Array;
  readonly type: string;
}

export class BundleError extends Error {
  constructor(message: string) {
    super(`duet serve: the browser build failed: ${message}`);
    this.name = "BundleError";
  }
}

const BROWSER_DIR = fileURLToPath(new URL("../browser/", import.meta.url));

const ENTRIES: Record<string, string> = {
  page: `${BROWSER_DIR}page/main.ts`,
  engine: `${BROWSER_DIR}engine/engine-worker.ts`,
  pool: createRequire(import.meta.url).resolve("@duet/tensor/browser-worker"),
  duet: `${BROWSER_DIR}index.ts`,
};

const STATIC: Record<string, { file: string; type: string }> = {
  "index.html": { file: `${BROWSER_DIR}page/index.html`, type: "text/html; charset=utf-8" },
  "style.css": { file: `${BROWSER_DIR}page/style.css`, type: "text/css; charset=utf-8" },
};

/** Packages that only Duet's Node side uses. */
const NODE_ONLY_PACKAGES = ["csv-parse", "pngjs", "jpeg-js", "@resvg/resvg-js", "cli-progress", "esbuild", "openmoji"];

const escape = (name: string) => name.replace(/[/.@-]/g, "\\$&");
const NODE_ONLY = new RegExp(`^(node:.*|(${builtinModules.map(escape).join("|")})(/.*)?|(${NODE_ONLY_PACKAGES.map(escape).join("|")})(/.*)?)$`);

/** Node built-ins and Node-only packages become external imports that esbuild may drop. */
const nodeOnlyExternal: Plugin = {
  name: "duet-node-only",
  setup(build) {
    build.onResolve({ filter: /^[@a-z]/ }, (args) => (NODE_ONLY.test(args.path) ? { path: args.path, external: true, sideEffects: false } : undefined));
  },
};

/** Which built-ins survived in an output, and which inputs import them. */
export function survivingBuiltins(metafile: Metafile): string[] {
  const problems: string[] = [];
  for (const [output, info] of Object.entries(metafile.outputs)) {
    for (const imported of info.imports) {
      if (!imported.external || !NODE_ONLY.test(imported.path)) continue;
      const importers = Object.entries(metafile.inputs)
        .filter(([, input]) => input.imports.some((i) => i.path === imported.path))
        .map(([name]) => name);
      problems.push(`${output} imports ${imported.path} (used by ${importers.join(", ") || "?"})`);
    }
  }
  return problems;
}

/**
 * Builds the page and workers; returns the assets by name ("page.js", "index.html", ...).
 *
 * esbuild is loaded, and its errors worded, by @duet/tensor's bundle.ts, which bundles Node's
 * workers; the build itself differs from those: four entries at once, ES modules for the
 * browser platform, and a metafile to check what reached the bundle, where a Node worker is
 * one CommonJS script started with `eval`.
 */
export async function buildBrowserAssets(options: { minify?: boolean } = {}): Promise<Map<string, Asset>> {
  let result: BuildResult & { metafile: Metafile };
  try {
    const esbuild = loadEsbuild("duet serve");
    result = (await esbuild.build({
      entryPoints: ENTRIES,
      bundle: true,
      format: "esm",
      platform: "browser",
      target: ["chrome110", "firefox115", "safari16"],
      outdir: "/app",
      write: false,
      metafile: true,
      minify: options.minify ?? true,
      sourcemap: false,
      legalComments: "none",
      logLevel: "silent",
      plugins: [nodeOnlyExternal],
    })) as typeof result;
  } catch (error) {
    throw new BundleError(esbuildErrorText(error));
  }
  const survivors = survivingBuiltins(result.metafile);
  if (survivors.length > 0) throw new BundleError(`Node-only modules reached the browser bundle: ${survivors.join("; ")}`);
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles ?? []) {
    const name = file.path.slice(file.path.lastIndexOf("/") + 1);
    assets.set(name, { body: file.contents, type: name.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8" });
  }
  for (const [name, { file, type }] of Object.entries(STATIC)) assets.set(name, { body: readFileSync(file), type });
  return assets;
}
