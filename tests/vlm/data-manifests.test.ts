/**
 * Caption and classification manifests: CSV quoting, TSV, JSONL, paths relative to the
 * manifest, and every error path with the message a user would read.
 */

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DataError,
  fillTemplate,
  parseCaptions,
  readCaptions,
  readClassFolders,
  readClassification,
  readClassnames,
  readTemplates,
} from "../../packages/vlm/src/data/index.js";
import { FIXTURES, tempFolder } from "./data-helpers.js";

const images = join(FIXTURES, "captions", "images");
const tmp = tempFolder("manifests");
tmp.write("img/a.png", "not really a png: manifests only check that the file exists");
tmp.write("img/b c.png", "x");

/** The DataError `run` throws, or a failure saying it did not throw one. */
function dataError(run: () => unknown): DataError {
  try {
    run();
  } catch (e) {
    if (e instanceof DataError) return e;
    throw new Error(`expected a DataError, got ${String(e)}`);
  }
  throw new Error("expected a DataError, nothing was thrown");
}

describe("caption manifests", () => {
  it("CSV: quoted commas, doubled quotes and a line break inside quotes; paths relative to the manifest", () => {
    const { records } = readCaptions(join(FIXTURES, "captions", "captions.csv"));
    expect(records).toEqual([
      { image: join(images, "red.png"), text: "a red square, bright", line: 2 },
      { image: join(images, "green.png"), text: 'a green "tall" rectangle', line: 3 },
      { image: join(images, "blue.png"), text: "a blue\nsquare", line: 4 },
    ]);
  });

  it("TSV by extension; a quote inside an unquoted field is literal, as pandas reads it", () => {
    const { records } = readCaptions(join(FIXTURES, "captions", "captions.tsv"));
    expect(records.map((r) => r.text)).toEqual(["a red square", 'a green rectangle, "tall"']);
    expect(records[1]!.image).toBe(join(images, "green.png"));
  });

  it("JSONL skips blank lines and keeps line numbers", () => {
    const { records } = readCaptions(join(FIXTURES, "captions", "captions.jsonl"));
    expect(records).toEqual([
      { image: join(images, "red.png"), text: "a red square", line: 1 },
      { image: join(images, "blue.png"), text: "a blue square", line: 3 },
    ]);
  });

  it("custom keys and separator, BOM, CRLF, blank lines, absolute paths and spaces", () => {
    const absolute = join(tmp.dir, "img", "a.png");
    const path = tmp.write("custom.csv", `\uFEFFpath;caption;extra\r\nimg/b c.png;"one; two";x\r\n\r\n${absolute};three;y\r\n`);
    const { records } = readCaptions(path, { imgKey: "path", captionKey: "caption", separator: ";" });
    expect(records).toEqual([
      { image: join(tmp.dir, "img", "b c.png"), text: "one; two", line: 2 },
      { image: absolute, text: "three", line: 4 },
    ]);
  });

  it("JSONL with custom keys; an empty caption is data (the filter decides)", () => {
    const path = tmp.write("custom.jsonl", '{"file": "img/a.png", "caption": ""}\n');
    expect(readCaptions(path, { imgKey: "file", captionKey: "caption" }).records[0]!.text).toBe("");
  });

  it("parses text without touching the disk when checkFiles is false", () => {
    const records = parseCaptions("filepath,title\nx/y.png,hello\n", { file: "mem.csv", baseDir: "/data", checkFiles: false });
    expect(records).toEqual([{ image: "/data/x/y.png", text: "hello", line: 2 }]);
  });

  const errors: [name: string, file: string, content: string, message: RegExp][] = [
    ["missing caption column", "nocol.csv", "filepath,caption\nimg/a.png,x\n", /nocol\.csv, line 1: no column "title" in the header \(columns: "filepath", "caption"\); choose another column with the captionKey/],
    ["missing image column", "noimg.csv", "file,title\nimg/a.png,x\n", /noimg\.csv, line 1: no column "filepath"/],
    ["wrong separator hint", "semi.csv", "filepath;title\nimg/a.png;x\n", /the header has a single column, so the separator may be wrong/],
    ["missing image file", "missing.csv", "filepath,title\nimg/a.png,ok\nimg/nope.png,x\n", /missing\.csv, line 3, column "filepath": image not found: "img\/nope\.png" \(looked for .*img\/nope\.png; paths are relative to the manifest's folder\)/],
    ["image path is a folder", "folder.csv", "filepath,title\nimg,x\n", /folder\.csv, line 2, column "filepath": image path is not a file/],
    ["empty image path", "empty.csv", 'filepath,title\n"",x\n', /empty\.csv, line 2, column "filepath": empty image path/],
    ["too many fields", "long.csv", "filepath,title\nimg/a.png,a,b\n", /long\.csv, line 2: malformed row: expected 2 fields as in the header, got 3 \(quote a field that contains the separator\)/],
    ["too few fields", "short.csv", "filepath,title\nimg/a.png,x\nimg/a.png\n", /short\.csv, line 3: malformed row: expected 2 fields as in the header, got 1/],
    ["unclosed quote", "quote.csv", 'filepath,title\nimg/a.png,"never closed\n', /quote\.csv, line 2: a quoted field is never closed/],
    ["empty file", "nothing.csv", "", /nothing\.csv: the file is empty: expected a header line/],
    ["invalid UTF-8", "latin1.csv", "filepath,title\nimg/a.png,caf\xe9\n", /latin1\.csv, line 2: the file is not valid UTF-8/],
    ["malformed JSON", "bad.jsonl", '{"image": "img/a.png", "text": "x"}\n{"image": "img/a.png", "text": "x"\n', /bad\.jsonl, line 2, column 35: malformed JSON: Expected ',' or '}' after property value$/],
    ["unexpected token in JSON (V8 gives no position)", "token.jsonl", "nope\n", /token\.jsonl, line 1: malformed JSON: Unexpected token 'o'$/],
    ["JSON line not an object", "array.jsonl", '["img/a.png", "x"]\n', /array\.jsonl, line 1: expected a JSON object like \{"image": \.\.\., "text": \.\.\.\}, got an array/],
    ["JSON key missing", "nokey.jsonl", '{"image": "img/a.png", "caption": "x"}\n', /nokey\.jsonl, line 1, column "text": missing key "text" \(keys: "image", "caption"\)/],
    ["JSON value not a string", "number.jsonl", '{"image": "img/a.png", "text": 3}\n', /number\.jsonl, line 1, column "text": expected a string, got a number/],
    ["JSON image missing on disk", "gone.jsonl", '{"image": "img/gone.png", "text": "x"}\n', /gone\.jsonl, line 1, column "image": image not found/],
  ];
  for (const [name, file, content, message] of errors) {
    it(`error: ${name}`, () => {
      const path = tmp.write(file, content.includes("\xe9") ? Buffer.from(content, "latin1") : content);
      const error = dataError(() => readCaptions(path));
      expect(error.message).toMatch(/^readCaptions: /);
      expect(error.message).toMatch(message);
      expect(error.location.file).toBe(path);
    });
  }

  it("error: no such manifest, a folder, a bad separator option", () => {
    expect(dataError(() => readCaptions(join(tmp.dir, "absent.csv"))).message).toMatch(/absent\.csv: cannot read the manifest: no such file$/);
    expect(dataError(() => readCaptions(join(tmp.dir, "img"))).message).toMatch(/img: cannot read the manifest: is a folder, not a file$/);
    const path = tmp.write("sep.csv", "filepath,title\n");
    expect(dataError(() => readCaptions(path, { separator: "::" })).message).toMatch(/the separator must be one character/);
  });
});

describe("classification", () => {
  const classes = join(FIXTURES, "classes");

  it("CSV: class names are the sorted labels", () => {
    const manifest = readClassification(join(FIXTURES, "classification.csv"));
    expect(manifest.classes).toEqual(["bird", "cat", "dog"]);
    expect(manifest.records).toEqual([
      { image: join(classes, "cat", "1.png"), label: 1 },
      { image: join(classes, "dog", "1.png"), label: 2 },
      { image: join(classes, "bird", "1.png"), label: 0 },
      { image: join(classes, "cat", "2.png"), label: 1 },
    ]);
  });

  it("CSV with classnames: text labels take the classnames' order; integer labels index them", () => {
    const byName = readClassification(join(FIXTURES, "classification.csv"), { classnames: ["dog", "cat", "bird"] });
    expect(byName.classes).toEqual(["dog", "cat", "bird"]);
    expect(byName.records.map((r) => r.label)).toEqual([1, 0, 2, 1]);
    const path = tmp.write("ints.csv", "filepath,label\nimg/a.png,2\nimg/a.png,0\n");
    expect(readClassification(path, { classnames: ["zero", "one", "two"] }).records.map((r) => r.label)).toEqual([2, 0]);
    expect(readClassification(path).classes).toEqual(["0", "2"]);
    const ten = tmp.write("ten.csv", "filepath,label\nimg/a.png,10\nimg/a.png,9\n");
    expect(readClassification(ten).classes).toEqual(["9", "10"]);
  });

  it("folders: sorted sub-folders are the classes; classnames rename them in that order", () => {
    const manifest = readClassFolders(classes);
    expect(manifest.classes).toEqual(["bird", "cat", "dog"]);
    expect(manifest.records.map((r) => [r.image.slice(classes.length + 1), r.label])).toEqual([
      ["bird/1.png", 0],
      ["cat/1.png", 1],
      ["cat/2.png", 1],
      ["dog/1.png", 2],
    ]);
    expect(readClassification(classes, { classnames: ["a bird", "a cat", "a dog"] }).classes).toEqual(["a bird", "a cat", "a dog"]);
  });

  it("errors name the file, line and column", () => {
    const csv = join(FIXTURES, "classification.csv");
    expect(dataError(() => readClassification(csv, { classnames: ["cat", "dog"] })).message).toBe(
      `readClassification: ${csv}, line 4, column "label": label "bird" is not one of the 2 class names`,
    );
    const ints = tmp.write("range.csv", "filepath,label\nimg/a.png,3\n");
    expect(dataError(() => readClassification(ints, { classnames: ["a", "b"] })).message).toMatch(/range\.csv, line 2, column "label": label 3 is out of range: there are 2 class names/);
    const empty = tmp.write("nolabel.csv", "filepath,label\nimg/a.png, \n");
    expect(dataError(() => readClassification(empty)).message).toMatch(/nolabel\.csv, line 2, column "label": empty label/);
    const noLabel = tmp.write("nolabelcol.csv", "filepath,class\nimg/a.png,x\n");
    expect(dataError(() => readClassification(noLabel)).message).toMatch(/no column "label"/);
    expect(dataError(() => readClassification(join(tmp.dir, "nowhere"))).message).toMatch(/nowhere: no such file or folder/);
    expect(dataError(() => readClassification(classes, { classnames: ["x"] })).message).toMatch(/1 class names given for 3 class folders \(bird, cat, dog\)/);
    const jsonl = tmp.write("cls.jsonl", "{}\n");
    expect(dataError(() => readClassification(jsonl)).message).toMatch(/a classification manifest is a CSV\/TSV/);
  });

  it("errors: no class folders, an empty class folder", () => {
    const root = tempFolder("classes");
    root.write("README.txt", "no folders here");
    expect(dataError(() => readClassFolders(root.dir)).message).toMatch(/has no class sub-folders/);
    root.write("cat/1.png", "x");
    root.write("dog/notes.txt", "x");
    expect(dataError(() => readClassFolders(root.dir)).message).toMatch(/class folder "dog" holds no images/);
  });
});

describe("classnames and templates", () => {
  it("read one per line or as a JSON array; fill every {}", () => {
    expect(readClassnames(tmp.write("names.txt", "cat\n\n dog \n"))).toEqual(["cat", "dog"]);
    expect(readClassnames(tmp.write("names.json", '["cat", "dog"]'))).toEqual(["cat", "dog"]);
    expect(readTemplates(tmp.write("templates.txt", "a photo of a {}.\n{} and {}\n"))).toEqual(["a photo of a {}.", "{} and {}"]);
    expect(fillTemplate("{} and {}", "cat")).toBe("cat and cat");
  });

  it("errors: a template without {}, a repeated class name, an empty list, not an array of strings", () => {
    const noSlot = tmp.write("bad-templates.txt", "a photo of a {}.\na photo\n");
    expect(dataError(() => readTemplates(noSlot)).message).toBe(`readTemplates: ${noSlot}, line 2: template "a photo" has no {} for the class name`);
    const twice = tmp.write("twice.txt", "cat\ndog\ncat\n");
    expect(dataError(() => readClassnames(twice)).message).toBe(`readClassnames: ${twice}, line 3: class name "cat" appears twice`);
    expect(dataError(() => readClassnames(tmp.write("blank.txt", "\n \n"))).message).toMatch(/the list is empty/);
    expect(dataError(() => readClassnames(tmp.write("numbers.json", "[1, 2]"))).message).toMatch(/expected a JSON array of strings/);
  });
});
