/// <reference lib="dom" />
/** Small DOM helpers for the page (no framework: the page is a few panels and lists). */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** An element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text = ""): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text) element.textContent = text;
  return element;
}

/** RGB bytes (width x height) drawn on a new canvas. */
export function rgbCanvas(rgb: Uint8Array, width: number, height: number, className = ""): HTMLCanvasElement {
  const canvas = el("canvas", className);
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d")!;
  const image = context.createImageData(width, height);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    image.data[i * 4] = rgb[j]!;
    image.data[i * 4 + 1] = rgb[j + 1]!;
    image.data[i * 4 + 2] = rgb[j + 2]!;
    image.data[i * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

export function setStatus(element: HTMLElement, state: string, text: string): void {
  element.dataset["state"] = state;
  element.textContent = text;
}

/**
 * Makes `zone` take a dropped image file and `input` (a file chooser) a chosen one; either
 * goes to `onImage` with its name. Classify and Describe share it.
 */
export function acceptImageFiles(zone: HTMLElement, input: HTMLInputElement, onImage: (file: File, name: string) => void): void {
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const file = event.dataTransfer?.files[0];
    if (file) onImage(file, file.name);
  });
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (file) onImage(file, file.name);
  });
}
