/**
 * Safetensors files on disk (packages/nn/src/safetensors/file.ts): writes are atomic —
 * a temporary file in the same folder, fsync, rename — so a failure at any point leaves
 * the previous file as it was and no temporary file behind.
 */

import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Tensor, tensor, type TypedArray } from "../../packages/tensor/src/index.js";
import { SafetensorsError, serializeSafetensors } from "../../packages/nn/src/index.js";
import { openSafetensorsFile, readSafetensors, writeSafetensors } from "../../packages/nn/src/node.js";
import { expectSafetensorsError, flatValues } from "./safetensors-helpers.js";

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), "duet-st-file-"));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

/** A tensor whose data cannot be read: serialising it fails midway through a write. */
class ExplodingTensor extends Tensor {
  static reads: string[] = [];
  override contiguousData(): TypedArray {
    throw new Error("boom: the tensor's data is unavailable");
  }
}

/** A tensor that records when the writer reads it. */
class RecordingTensor extends Tensor {
  override contiguousData(): TypedArray {
    ExplodingTensor.reads.push("recording");
    return super.contiguousData();
  }
}

describe("writeSafetensors and readSafetensors", () => {
  it("round-trip through a file, with metadata", () => {
    const path = join(folder, "model.safetensors");
    writeSafetensors(path, { w: tensor([1, 2, 3, 4], [2, 2]), ids: tensor([7], [1], { dtype: "int32" }) }, { metadata: { format: "pt" } });
    const back = readSafetensors(path);
    expect(back.metadata).toEqual({ format: "pt" });
    expect(back.tensors.get("w")!.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(flatValues(back.tensors.get("ids")!)).toEqual([7]);
    expect(readdirSync(folder)).toEqual(["model.safetensors"]);
    const reader = openSafetensorsFile(path);
    expect(reader.source).toBe(path);
    expect(reader.tensor("w").shape).toEqual([2, 2]);
  });

  it("replace an existing file whole", () => {
    const path = join(folder, "model.safetensors");
    writeSafetensors(path, { w: tensor([1]) });
    writeSafetensors(path, { v: tensor([2, 3]) });
    expect([...readSafetensors(path).tensors.keys()]).toEqual(["v"]);
    expect(readdirSync(folder)).toEqual(["model.safetensors"]);
  });

  it("a failure midway through writing leaves the old file intact and no temporary file", () => {
    const path = join(folder, "model.safetensors");
    writeSafetensors(path, { w: tensor([1, 2, 3]) }, { metadata: { version: "1" } });
    const before = readFileSync(path);
    ExplodingTensor.reads = [];
    // F64 sorts before F32, so the header and "a" are on disk when "z" explodes
    const a = new RecordingTensor(new Float64Array(300_000).fill(1), [300_000]);
    const z = new ExplodingTensor(new Float32Array([1, 2]), [2]);
    const error = expectSafetensorsError(() => writeSafetensors(path, { z, a }), "writeSafetensors", path, "previous file (if any) is untouched", "boom");
    expect((error.cause as Error).message).toContain("boom");
    expect(ExplodingTensor.reads).toEqual(["recording"]); // "a" was written before the failure
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(folder)).toEqual(["model.safetensors"]);
    expect(readSafetensors(path).metadata).toEqual({ version: "1" });
  });

  it("bad arguments fail before the disk is touched", () => {
    const path = join(folder, "model.safetensors");
    writeSafetensors(path, { w: tensor([1]) });
    const before = readFileSync(path);
    expectSafetensorsError(() => writeSafetensors(path, { w: tensor([1]) }, { dtypes: { w: "I32" } }), `writeSafetensors: ${path}: tensor "w"`);
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(folder)).toEqual(["model.safetensors"]);
  });

  it("a missing folder is an error naming the path, and leaves nothing behind", () => {
    const path = join(folder, "no", "such", "model.safetensors");
    expectSafetensorsError(() => writeSafetensors(path, { w: tensor([1]) }), path, "ENOENT");
    expect(readdirSync(folder)).toEqual([]);
  });

  it("a target that cannot be replaced (a folder) is an error, and the temporary file is removed", () => {
    const path = join(folder, "model.safetensors");
    mkdirSync(path);
    expectSafetensorsError(() => writeSafetensors(path, { w: tensor([1]) }), path);
    expect(readdirSync(folder)).toEqual(["model.safetensors"]);
  });

  // Root ignores file permissions, so as root (CI runs as root) there is no read-only folder to test.
  const isRoot = process.getuid?.() === 0;
  it.skipIf(isRoot)(`a read-only folder is an error and the old file survives${isRoot ? " (skipped: running as root, which ignores permissions)" : ""}`, () => {
    const path = join(folder, "model.safetensors");
    writeSafetensors(path, { w: tensor([1]) });
    chmodSync(folder, 0o500);
    try {
      expectSafetensorsError(() => writeSafetensors(path, { w: tensor([2]) }), path);
    } finally {
      chmodSync(folder, 0o700);
    }
    expect(flatValues(readSafetensors(path).tensors.get("w")!)).toEqual([1]);
  });

  it("errors from reading name the file", () => {
    const path = join(folder, "broken.safetensors");
    const bytes = serializeSafetensors({ w: tensor([1, 2]) });
    writeFileSync(path, bytes.subarray(0, bytes.length - 1));
    const error = expectSafetensorsError(() => readSafetensors(path), `readSafetensors: ${path}: tensor "w": `, "run past the end of the data section");
    expect(error).toBeInstanceOf(SafetensorsError);
    expectSafetensorsError(() => readSafetensors(join(folder, "missing.safetensors")), "readSafetensors", "missing.safetensors", "cannot read the file", "ENOENT");
  });
});
