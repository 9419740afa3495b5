/**
 * Which format a file holds, read from its first bytes (its "magic number"), never from its
 * name: a `.jpg` that is really a PNG decodes as the PNG it is, and a `.png` that is really a
 * web page is refused as what it is.
 */

export type ImageFormat = "png" | "jpeg";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The supported format `bytes` starts with, or null. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return "png";
  // SOI (FF D8) followed by the first marker's FF: what every JPEG encoder writes.
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  return null;
}

/** For the error message when a file is not PNG or JPEG: what it looks like instead. */
export function describeUnsupported(bytes: Uint8Array): string {
  if (bytes.length === 0) return "the file is empty";
  if (startsWith(bytes, PNG_SIGNATURE.slice(0, Math.min(bytes.length, 8))) && bytes.length < 8) {
    return `truncated PNG: the file ends after ${bytes.length} of the 8 signature bytes`;
  }
  if (startsWith(bytes, [0xff, 0xd8]) && bytes.length < 3) return "truncated JPEG: the file ends right after the start-of-image marker";
  const ascii = String.fromCharCode(...bytes.subarray(0, 16));
  const known: [boolean, string][] = [
    [ascii.startsWith("GIF87a") || ascii.startsWith("GIF89a"), "GIF"],
    [ascii.startsWith("RIFF") && ascii.slice(8, 12) === "WEBP", "WebP"],
    [ascii.startsWith("BM"), "BMP"],
    [ascii.startsWith("II*\0") || ascii.startsWith("MM\0*"), "TIFF"],
    [ascii.slice(4, 8) === "ftyp", "HEIF/AVIF/MP4 (ISO media)"],
    [ascii.startsWith("%PDF"), "PDF"],
    [/^\s*<(\?xml|svg)/i.test(ascii), "SVG/XML text"],
    [startsWith(bytes, [0x00, 0x00, 0x01, 0x00]), "ICO"],
  ];
  for (const [match, name] of known) if (match) return `${name} is not a supported format (PNG and JPEG are)`;
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return `not a PNG or JPEG file (it starts with bytes ${hex})`;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
