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
 * the PNG/JPEG decoders, the SVG rasteriser, progress bars). Where a module mixed pure logic
 * with Node I/O it is split, and the browser imports only the pure half: @duet/nn beside
 * @duet/nn/node (safetensors files), tokenizer-json.ts beside tokenizer-file.ts,
 * data/prompt-template.ts beside data/prompts.ts. A plugin holds that line: an import of a
 * Node-only module anywhere a browser entry reaches fails the build, naming the importing
 * file and line — even one that tree-shaking would drop, so no module is half Node's.
 */

import { readFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { OutputFile, Plugin } from "esbuild";
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

/** Fails the build at any import of a Node built-in or a Node-only package, naming its importer. */
const refuseNodeOnly: Plugin = {
  name: "duet-refuse-node-only",
  setup(build) {
    build.onResolve({ filter: /^[@a-z]/ }, (args) => {
      if (!NODE_ONLY.test(args.path)) return undefined;
      const importer = relative(process.cwd(), args.importer) || args.importer;
      return { errors: [{ text: `${importer} imports the Node-only module "${args.path}", and a browser entry reaches it: import a browser-safe module instead` }] };
    });
  },
};

/**
 * Bundles `entries` (name -> file) for the browser, under the Node-only guard; the files come
 * back as /app/NAME.js. buildBrowserAssets builds Duet's own entries with it.
 *
 * esbuild is loaded, and its errors worded, by @duet/tensor's bundle.ts, which bundles Node's
 * workers; the build itself differs from those: several entries at once, ES modules for the
 * browser platform and the guard, where a Node worker is one CommonJS script for Node
 * started with `eval`, free to import Node's modules.
 */
export async function bundleForBrowser(entries: Record<string, string>, options: { minify?: boolean } = {}): Promise<OutputFile[]> {
  try {
    const esbuild = loadEsbuild("duet serve");
    const result = await esbuild.build({
      entryPoints: entries,
      bundle: true,
      format: "esm",
      platform: "browser",
      target: ["chrome110", "firefox115", "safari16"],
      outdir: "/app",
      write: false,
      minify: options.minify ?? true,
      sourcemap: false,
      legalComments: "none",
      logLevel: "silent",
      plugins: [refuseNodeOnly],
    });
    return result.outputFiles;
  } catch (error) {
    throw new BundleError(esbuildErrorText(error));
  }
}

/** Builds the page and workers; returns the assets by name ("page.js", "index.html", ...). */
export async function buildBrowserAssets(options: { minify?: boolean } = {}): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const file of await bundleForBrowser(ENTRIES, options)) {
    const name = file.path.slice(file.path.lastIndexOf("/") + 1);
    assets.set(name, { body: file.contents, type: name.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8" });
  }
  for (const [name, { file, type }] of Object.entries(STATIC)) assets.set(name, { body: readFileSync(file), type });
  return assets;
}
