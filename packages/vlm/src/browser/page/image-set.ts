/// <reference lib="dom" />
/** The served image set as the page shows it: names and thumbnails (the engine has the features). */

import { el, rgbCanvas } from "./dom.js";

export interface ImageSetItem {
  name: string;
  url?: string;
  hexcode?: string;
  row?: number;
  captions?: string[];
}

export class ImageSetView {
  private constructor(
    readonly kind: "files" | "openmoji",
    readonly items: ImageSetItem[],
    private readonly pixels: Uint8Array | null,
    private readonly resolution: number,
  ) {}

  static async load(url: string): Promise<ImageSetView> {
    const json = (await (await fetch(url)).json()) as { kind: "files" | "openmoji"; items: ImageSetItem[]; resolution?: number; pixels?: string };
    const pixels = json.kind === "openmoji" ? new Uint8Array(await (await fetch(json.pixels!)).arrayBuffer()) : null;
    return new ImageSetView(json.kind, json.items, pixels, json.resolution ?? 0);
  }

  /** A thumbnail element of item i. */
  thumbnail(index: number, className = "thumb"): HTMLElement {
    const item = this.items[index]!;
    if (this.kind === "files") {
      const image = el("img", className);
      image.src = item.url!;
      image.alt = item.name;
      image.loading = "lazy";
      return image;
    }
    const bytes = this.resolution * this.resolution * 3;
    return rgbCanvas(this.pixels!.subarray(item.row! * bytes, (item.row! + 1) * bytes), this.resolution, this.resolution, className);
  }

  /** What Classify should decode for item i: a URL, or the raster as a PNG blob. */
  async source(index: number): Promise<Blob | string> {
    const item = this.items[index]!;
    if (item.url !== undefined) return item.url;
    const canvas = this.thumbnail(index) as HTMLCanvasElement;
    return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("cannot encode the image"))), "image/png"));
  }
}
