/**
 * SVG to RGB pixels with @resvg/resvg-js (resvg, a Rust renderer, as a prebuilt napi addon:
 * fine here, outside the pure-TypeScript engine). The SVG is scaled to fit a size x size square,
 * centred, and flattened onto white, giving 8-bit RGB (the layout of ../../image RgbImage).
 *
 * resvg's renderAsync runs on libuv's thread pool, so keeping `concurrency` renders in flight
 * uses every core; each result lands in its own slot, so the output does not depend on which
 * render finishes first.
 */

import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import type { ResvgRenderOptions } from "@resvg/resvg-js";
import { DataError } from "../errors.js";
import { styleSvg, type EmojiStyle } from "./styles.js";

type Resvg = typeof import("@resvg/resvg-js");
let resvg: Resvg | undefined;

/**
 * The addon is required on first use, not imported: importing @duet/vlm (a worker bundle, a
 * browser build) must not load native code or make a bundler chase resvg's platform binaries.
 */
function loadResvg(): Resvg {
  resvg ??= createRequire(import.meta.url)("@resvg/resvg-js") as Resvg;
  return resvg;
}

/** Called as work completes: `done` of `total` items. */
export type ProgressCallback = (done: number, total: number) => void;

export interface RasterizeOptions {
  /** Renders in flight (default: twice the cores, so file reads overlap the renders). */
  concurrency?: number;
  onProgress?: ProgressCallback;
}

/** Renders one SVG to size * size * 3 bytes of RGB on white. */
export async function rasterizeSvg(svg: string | Uint8Array, size: number, source = "<svg>"): Promise<Uint8Array> {
  if (!Number.isInteger(size) || size < 1) throw new DataError("rasterizeSvg", `size must be a positive integer, got ${size}`);
  const input = typeof svg === "string" ? svg : Buffer.from(svg.buffer, svg.byteOffset, svg.byteLength);
  const render = (fitTo: ResvgRenderOptions["fitTo"]) =>
    loadResvg().renderAsync(input, { fitTo, background: "white", font: { loadSystemFonts: false }, logLevel: "off" }).catch((e: unknown) => {
      throw new DataError("rasterizeSvg", `cannot render the SVG: ${(e as Error).message}`, { file: source });
    });
  // Fit the longer side: render to the width, and again to the height if that came out taller.
  let image = await render({ mode: "width", value: size });
  if (image.height > size) image = await render({ mode: "height", value: size });
  return flattenCentred(image.pixels, image.width, image.height, size);
}

/** Rasterises emojis drawn in `style` into one buffer: emoji i at bytes [i * size * size * 3, ...). */
export async function rasterizeStyle(style: EmojiStyle, hexcodes: readonly string[], size: number, options: RasterizeOptions = {}): Promise<Uint8Array> {
  const concurrency = options.concurrency ?? 2 * availableParallelism();
  const imageBytes = size * size * 3;
  const out = new Uint8Array(hexcodes.length * imageBytes);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < hexcodes.length) {
      const i = next++;
      const { svg, source } = styleSvg(style, hexcodes[i]!);
      out.set(await rasterizeSvg(svg, size, source), i * imageBytes);
      options.onProgress?.(++done, hexcodes.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, hexcodes.length)) }, worker));
  return out;
}

/** Rasterises OpenMoji colour SVGs into one buffer: emoji i at bytes [i * size * size * 3, ...). */
export function rasterizeOpenMoji(hexcodes: readonly string[], size: number, options: RasterizeOptions = {}): Promise<Uint8Array> {
  return rasterizeStyle("openmoji", hexcodes, size, options);
}

/**
 * RGBA (w x h) to RGB (size x size), centred on white. resvg already painted the white
 * background, so alpha is 255 throughout; compositing anyway keeps a transparent pixel white
 * should that ever change.
 */
function flattenCentred(rgba: Uint8Array, width: number, height: number, size: number): Uint8Array {
  const out = new Uint8Array(size * size * 3).fill(255);
  const left = Math.floor((size - width) / 2);
  const top = Math.floor((size - height) / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 4;
      const d = ((top + y) * size + left + x) * 3;
      const a = rgba[s + 3]!;
      for (let c = 0; c < 3; c++) out[d + c] = a === 255 ? rgba[s + c]! : Math.round((rgba[s + c]! * a + 255 * (255 - a)) / 255);
    }
  }
  return out;
}
