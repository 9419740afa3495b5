/**
 * `duet export-data` (DESIGN §3): the pairs `duet train --data D` reads, as open_clip_train reads
 * them. The CSV is read back with Duet's own manifest reader; the webdataset shards are read with
 * a ustar parser written here from the format (512-byte headers, octal sizes), independent of the
 * library that wrote them; both must give the same pairs, pixels and captions, from the split
 * asked for only.
 */

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportData, loadOpenMoji, openMojiItems, readCaptions, readImage, splitOfBase, type ExportDataSource } from "../../packages/vlm/src/index.js";
import { duet, IMAGES } from "./cli-helpers.js";
import { tempFolder } from "./data-helpers.js";

/** The members of a tar file: name and bytes (ustar: a 512-byte header, the data padded to 512). */
function readTar(bytes: Uint8Array): { name: string; data: Uint8Array }[] {
  const members: { name: string; data: Uint8Array }[] = [];
  const text = (from: number, length: number) => new TextDecoder().decode(bytes.subarray(from, from + length)).replace(/\0.*$/s, "");
  for (let at = 0; at + 512 <= bytes.length; ) {
    if (bytes.subarray(at, at + 512).every((b) => b === 0)) break; // two zero blocks end the archive
    const name = text(at, 100);
    const size = parseInt(text(at + 124, 12).trim(), 8);
    expect(text(at + 257, 6), `member ${name}: ustar magic`).toMatch(/^ustar/);
    expect(text(at + 156, 1), `member ${name}: a regular file`).toMatch(/^0?$/);
    members.push({ name, data: bytes.slice(at + 512, at + 512 + size) });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return members;
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
/** A pair as content: the decoded pixels' hash and the caption. */
const pairKey = (pixels: Uint8Array, caption: string) => `${sha(pixels)} ${caption}`;

// four train emojis, two val, two test (bases only, so each is its own split)
const bases = openMojiItems().filter((item) => item.hexcode === item.baseHexcode);
const pick = (split: string, n: number) => bases.filter((item) => splitOfBase(item.baseHexcode) === split).slice(0, n);
const chosen = [...pick("train", 4), ...pick("val", 2), ...pick("test", 2)];
const trainAnnotations = new Set(chosen.slice(0, 4).map((item) => item.annotation));

describe("duet export-data", () => {
  const folder = tempFolder("export-data");
  const cacheDir = join(folder.dir, "cache");
  const source: ExportDataSource = { kind: "openmoji", split: "train", imageSize: 16, cacheDir, hexcodes: chosen.map((item) => item.hexcode) };

  it("CSV: PNG images and a tab-separated filepath/title file that Duet's reader parses back to the train split's pairs", async () => {
    const out = join(folder.dir, "csv");
    const result = await exportData(source, out, { format: "csv", captionsPerImage: 3, seed: 1 });
    expect(result).toMatchObject({ samples: 12, images: 4 });
    expect(readdirSync(out).sort()).toEqual(["duet_export.json", "images", "pairs.tsv"]);
    expect(readFileSync(join(out, "pairs.tsv"), "utf8").split("\n")[0]).toBe("filepath\ttitle");
    const records = readCaptions(join(out, "pairs.tsv")).records;
    expect(records).toHaveLength(12);
    const openMoji = await loadOpenMoji({ resolution: 16, cacheDir, hexcodes: chosen.slice(0, 4).map((item) => item.hexcode) });
    records.forEach((record, i) => {
      const emoji = Math.floor(i / 3);
      expect(Array.from(readImage(record.image).data), record.image).toEqual(Array.from(openMoji.image(emoji).data));
      expect(record.text.includes(openMoji.items[emoji]!.annotation), `${record.text} is a caption of ${openMoji.items[emoji]!.annotation}`).toBe(true);
    });
    expect(records.every((record) => [...trainAnnotations].some((a) => record.text.includes(a)))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "duet_export.json"), "utf8"))).toMatchObject({ format: "csv", source: "openmoji:train", samples: 12, images: 4, captions_per_image: 3, seed: 1 });
  });

  it("webdataset: standard tar shards of KEY.png + KEY.txt and sizes.json, the same pairs as the CSV", async () => {
    const out = join(folder.dir, "wds");
    await exportData(source, out, { format: "wds", captionsPerImage: 3, seed: 1, shardSize: 5 });
    const shards = readdirSync(out).filter((name) => name.endsWith(".tar")).sort();
    expect(shards).toEqual(["000000.tar", "000001.tar", "000002.tar"]);
    const sizes = JSON.parse(readFileSync(join(out, "sizes.json"), "utf8")) as Record<string, number>;
    expect(sizes).toEqual({ "000000.tar": 5, "000001.tar": 5, "000002.tar": 2 });
    const fromShards: string[] = [];
    for (const shard of shards) {
      const members = readTar(new Uint8Array(readFileSync(join(out, shard))));
      expect(members).toHaveLength(2 * sizes[shard]!);
      for (let i = 0; i < members.length; i += 2) {
        const [png, txt] = [members[i]!, members[i + 1]!];
        const key = png.name.replace(/\.png$/, "");
        expect([png.name, txt.name]).toEqual([`${key}.png`, `${key}.txt`]);
        expect(key).toMatch(/^\d{9}$/);
        const path = join(folder.dir, `member-${key}.png`);
        writeFileSync(path, png.data);
        fromShards.push(pairKey(readImage(path).data, new TextDecoder().decode(txt.data)));
      }
    }
    const fromCsv = readCaptions(join(folder.dir, "csv", "pairs.tsv")).records.map((record) => pairKey(readImage(record.image).data, record.text));
    expect(fromShards.sort()).toEqual(fromCsv.sort());
  });

  it("a manifest: every row as duet train reads it, each image once as RGB PNG, awkward captions quoted", async () => {
    const manifest = join(folder.dir, "pairs.jsonl");
    const captions = ['a "quoted" astronaut', "tab\tinside", "a cup of coffee", "a cat, twice: once", "a cat, twice: again"];
    const images = [IMAGES[0]!, IMAGES[0]!, IMAGES[1]!, IMAGES[2]!, IMAGES[2]!];
    writeFileSync(manifest, captions.map((text, i) => JSON.stringify({ image: images[i], text })).join("\n"));
    const out = join(folder.dir, "from-manifest");
    const result = await exportData({ kind: "captions", manifest }, out, { format: "csv" });
    expect(result).toMatchObject({ samples: 5, images: 3 });
    const records = readCaptions(join(out, "pairs.tsv")).records;
    expect(records.map((record) => record.text)).toEqual(captions);
    expect(records.map((record) => basename(record.image))).toEqual(["000000.png", "000000.png", "000001.png", "000002.png", "000002.png"]);
    records.forEach((record, i) => expect(sha(readImage(record.image).data), record.image).toBe(sha(readImage(images[i]!).data)));
  });

  it("the CLI: flags, a new or empty --out, one line on stderr for bad input", async () => {
    const busy = join(folder.dir, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "keep.txt"), "mine");
    const refused = await duet("export-data", "--data", "openmoji", "--out", busy);
    expect(refused.code).toBe(2);
    expect(refused.stderr.join("\n")).toMatch(/new or empty folder/);
    expect(readdirSync(busy)).toEqual(["keep.txt"]);
    const format = await duet("export-data", "--data", "openmoji", "--out", join(folder.dir, "f"), "--format", "parquet");
    expect([format.code, format.stderr]).toEqual([2, ['duet export-data: --format must be csv or wds, got "parquet"']]);
    const split = await duet("export-data", "--data", "openmoji:holdout", "--out", join(folder.dir, "s"));
    expect(split.code).toBe(2);
    const flag = await duet("export-data", "--data", join(folder.dir, "pairs.jsonl"), "--captions-per-image", "2", "--out", join(folder.dir, "m"));
    expect([flag.code, flag.stderr]).toEqual([2, ["duet export-data: --captions-per-image is for OpenMoji; a manifest has its own images and captions"]]);
    for (const name of ["f", "s", "m"]) expect(existsSync(join(folder.dir, name))).toBe(false);
    const ok = await duet("export-data", "--data", join(folder.dir, "pairs.jsonl"), "--out", join(folder.dir, "cli-wds"), "--format", "wds", "--json");
    expect(ok.code, ok.stderr.join("\n")).toBe(0);
    expect(ok.json()).toMatchObject({ format: "wds", samples: 5, images: 3, files: ["000000.tar", "sizes.json", "duet_export.json"] });
  });
});
