/**
 * Fuzzing the safetensors reader with fast-check (fixed seeds, ≥ 1,000 cases each): random
 * bytes, random JSON-like headers, valid files with mutated bytes, truncated files, and
 * headers with random field values. Every input must end in success or a clean
 * SafetensorsError (a TensorError) — never another error type (a RangeError would mean an
 * out-of-bounds read), a crash or a hang. Where the reader accepts a header, an
 * independent checker written from the spec must accept it too, and the other way round.
 * Limits: headers nested to any depth, and files that are not regular (a FIFO, /dev/zero).
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tensor, type DType, type Tensor } from "../../packages/tensor/src/index.js";
import { SAFETENSORS_DTYPES, openSafetensors, serializeSafetensors, type WritableDType } from "../../packages/nn/src/index.js";
import { readSafetensors } from "../../packages/nn/src/node.js";
import { isCleanError, stFile } from "./safetensors-helpers.js";

const RUNS = 1000;

/** Opens and decodes everything; returns "ok" or throws if the failure is not clean. */
function readAll(bytes: Uint8Array): "ok" | "refused" {
  try {
    const reader = openSafetensors(bytes);
    for (const name of reader.names()) {
      try {
        const t = reader.tensor(name);
        const entry = reader.entries.get(name)!;
        if (t.size !== entry.shape.reduce((a, b) => a * b, 1)) throw new Error(`tensor ${name} decoded to ${t.size} elements`);
      } catch (error) {
        if (!isCleanError(error)) throw error;
      }
    }
    return "ok";
  } catch (error) {
    if (isCleanError(error)) return "refused";
    throw new Error(`unclean error on ${bytes.length} bytes [${Array.from(bytes.subarray(0, 64)).join(",")}...]: ${String(error)}`, { cause: error });
  }
}

/** Small valid files: a few tensors of each writable dtype, with metadata. */
function validFileArb(maxTensors: number, maxDim: number): fc.Arbitrary<Uint8Array> {
  return fc
  .tuple(
    fc.dictionary(
      fc.string({ maxLength: 4 }),
      fc.record({
        shape: fc.array(fc.integer({ min: 0, max: maxDim }), { maxLength: 3 }),
        dtype: fc.constantFrom<WritableDType>("F32", "F64", "F16", "BF16", "I32", "I64"),
        seed: fc.integer(),
      }),
      { maxKeys: maxTensors },
    ),
    fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 6 }), { maxKeys: 2 }), { nil: undefined }),
  )
  .map(([spec, metadata]) => {
    delete (spec as Record<string, unknown>)["__metadata__"];
    const tensors: Record<string, Tensor> = {};
    const dtypes: Record<string, WritableDType> = {};
    for (const [name, { shape, dtype, seed }] of Object.entries(spec)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const kind: DType = dtype.startsWith("I") ? "int32" : "float32";
      tensors[name] = tensor(
        Array.from({ length: size }, (_, i) => ((seed * (i + 7)) % 1000) - 500),
        shape,
        { dtype: kind },
      );
      dtypes[name] = dtype;
    }
    return serializeSafetensors(tensors, { dtypes, ...(metadata ? { metadata } : {}) });
  });
}

describe("fuzzing the reader", () => {
  it("random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        readAll(bytes);
      }),
      { seed: 101, numRuns: RUNS },
    );
  });

  it("random bytes behind a header length that fits the file", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (body, cut) => {
        const bytes = new Uint8Array(8 + body.length);
        new DataView(bytes.buffer).setUint32(0, cut % (body.length + 1), true);
        bytes.set(body, 8);
        readAll(bytes);
      }),
      { seed: 102, numRuns: RUNS },
    );
  });

  it("random JSON-like headers", () => {
    const token = fc.constantFrom(
      "{", "}", "[", "]", '"', ":", ",", " ", "\\", "\\u00", "0", "1", "8", "-", ".", "e", "null", "true",
      '"dtype"', '"shape"', '"data_offsets"', '"F32"', '"U8"', '"I64"', '"__metadata__"', '"a"', "[0,4]", "[1]", "[0,1]",
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), fc.uint8Array({ maxLength: 16 }), (tokens, data) => {
        readAll(stFile(tokens.join(""), data));
      }),
      { seed: 103, numRuns: RUNS },
    );
  });

  it("valid files with mutated bytes (mostly in the header)", () => {
    fc.assert(
      fc.property(
        validFileArb(4, 3),
        fc.array(fc.record({ where: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), inHeader: fc.boolean() }), { minLength: 1, maxLength: 4 }),
        (file, mutations) => {
          const bytes = file.slice();
          const headerEnd = 8 + bytes[0]! + 256 * bytes[1]!;
          for (const { where, byte, inHeader } of mutations) bytes[inHeader ? 8 + (where % (headerEnd - 8)) : where % bytes.length] = byte;
          readAll(bytes);
        },
      ),
      { seed: 104, numRuns: RUNS },
    );
  });

  it("valid files truncated at every length, or extended, are refused", () => {
    fc.assert(
      // small files (each case reads every prefix): ~150 bytes, ~150 reads per case
      fc.property(validFileArb(2, 2), fc.uint8Array({ minLength: 1, maxLength: 8 }), (file, extra) => {
        expect(readAll(file)).toBe("ok");
        for (let n = 0; n < file.length; n++) expect(readAll(file.subarray(0, n)), `truncated to ${n} of ${file.length} bytes`).toBe("refused");
        const longer = new Uint8Array(file.length + extra.length);
        longer.set(file);
        longer.set(extra, file.length);
        expect(readAll(longer)).toBe("refused");
      }),
      { seed: 105, numRuns: RUNS },
    );
  });

  it("the fixture files truncated at every length are refused", () => {
    for (const name of ["duet.safetensors", "python.safetensors"]) {
      const file = new Uint8Array(readFileSync(join(import.meta.dirname, "..", "fixtures", "safetensors", name)));
      const dataStart = 8 + new DataView(file.buffer, file.byteOffset).getUint32(0, true);
      // every length through the header and a little beyond, then every 61st (each of those re-parses the header)
      for (let n = 0; n < file.length; n += n < dataStart + 64 ? 1 : 61) {
        if (readAll(file.subarray(0, n)) !== "refused") throw new Error(`${name} truncated to ${n} bytes was accepted`);
      }
    }
  });
});

// ---- headers with random field values, against a checker written from the spec ----

const BITS: Record<string, number> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
};

/** True when `header` (as a JS object) with `dataLength` bytes of data is a valid file. */
function specAccepts(header: Record<string, unknown>, dataLength: number): boolean {
  const count = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0; // -0 is written as 0
  const spans: [number, number][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (entry === null) continue;
      if (typeof entry !== "object" || Array.isArray(entry) || !Object.values(entry as object).every((v) => typeof v === "string")) return false;
      continue;
    }
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return false;
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in BITS)) return false;
    if (!Array.isArray(shape) || !shape.every(count)) return false;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(count)) return false;
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) return false;
    let elements = 1n;
    for (const d of shape as number[]) {
      elements *= BigInt(d);
      if (elements > BigInt(Number.MAX_SAFE_INTEGER)) return false;
    }
    const bits = elements * BigInt(BITS[dtype]!);
    if (bits > BigInt(Number.MAX_SAFE_INTEGER) || bits % 8n !== 0n || bits / 8n !== BigInt(end - begin)) return false;
    spans.push([begin, end]);
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end] of spans) {
    if (begin !== covered) return false;
    covered = end;
  }
  return covered === dataLength;
}

const oddNumber = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(0.5, 1.5, -0, 2 ** 53, 2 ** 53 - 1, 2 ** 64, 1e300, 2 ** 31, 2 ** 32 + 4),
);
const oddValue = fc.oneof(oddNumber, fc.constant(null), fc.string({ maxLength: 3 }), fc.constant([]), fc.constant({}));

const entryArb = fc
  .tuple(
    fc.record({
      dtype: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...SAFETENSORS_DTYPES) }, { weight: 1, arbitrary: oddValue }),
      shape: fc.oneof(
        { weight: 12, arbitrary: fc.array(fc.oneof({ weight: 16, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: oddValue }), { maxLength: 3 }) },
        { weight: 1, arbitrary: oddValue },
      ),
      data_offsets: fc.oneof(
        { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })) },
        { weight: 1, arbitrary: fc.array(oddValue, { maxLength: 3 }) },
        { weight: 1, arbitrary: oddValue },
      ),
    }),
    fc.oneof({ weight: 10, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom("dtype", "shape", "data_offsets") }), // sometimes drop a field
  )
  .map(([entry, missing]) => {
    const out: Record<string, unknown> = { ...entry };
    if (missing !== null) delete out[missing];
    return out;
  });

/** Lays entries end to end (so many headers are valid), then perhaps disturbs one offset. */
const headerArb = fc
  .tuple(
    fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof({ weight: 9, arbitrary: entryArb }, { weight: 1, arbitrary: oddValue }), { maxKeys: 4 }),
    fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    fc.option(fc.oneof(fc.dictionary(fc.string({ maxLength: 2 }), fc.oneof(fc.string({ maxLength: 2 }), oddValue), { maxKeys: 2 }), oddValue), { nil: undefined }),
    fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) }),
  )
  .map(([entries, tile, metadata, slack]) => {
    const header: Record<string, unknown> = {};
    let offset = 0;
    for (const [name, entry] of Object.entries(entries)) {
      if (name === "__metadata__") continue;
      if (tile && entry && typeof entry === "object" && "shape" in entry && Array.isArray(entry.shape) && typeof entry.dtype === "string" && entry.dtype in BITS) {
        const elements = (entry.shape as unknown[]).reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1);
        const size = Math.ceil((elements * BITS[entry.dtype]!) / 8);
        if (!(size <= 64)) {
          header[name] = entry; // an absurd shape: keep whatever offsets it came with
          continue;
        }
        header[name] = { ...entry, data_offsets: [offset, offset + size] };
        offset += size;
      } else {
        header[name] = entry;
      }
    }
    if (metadata !== undefined) header["__metadata__"] = metadata;
    return { header, dataLength: Math.max(0, (tile ? offset : 16) + slack) };
  });

describe("headers with random field values", () => {
  it("are accepted exactly when a checker written from the spec accepts them, and never fail uncleanly", () => {
    let accepted = 0;
    fc.assert(
      fc.property(headerArb, ({ header, dataLength }) => {
        const bytes = stFile(header, dataLength);
        let ours: boolean;
        try {
          openSafetensors(bytes);
          ours = true;
        } catch (error) {
          if (!isCleanError(error)) throw error;
          ours = false;
        }
        const spec = specAccepts(header, dataLength);
        if (ours !== spec) throw new Error(`reader ${ours ? "accepted" : "refused"} but the spec checker ${spec ? "accepts" : "refuses"}: ${JSON.stringify(header)} with ${dataLength} data bytes`);
        if (ours) accepted++;
        readAll(bytes);
      }),
      { seed: 106, numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(450); // the generator reaches valid files, not just errors
  });
});

// ---- nesting depth, and files that are not regular ----

describe("limits", () => {
  it("a header nested to any depth (up to 200,000) is refused cleanly, naming the nesting beyond 32 levels", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 200_000 })), fc.constantFrom("[", '{"a":'), (depth, open) => {
        const close = open === "[" ? "]" : "}";
        const nested = `${open.repeat(depth)}${open === "[" ? "" : "1"}${close.repeat(depth)}`;
        let message = "";
        try {
          openSafetensors(stFile(`{"t": ${nested}}`, 0));
        } catch (error) {
          if (!isCleanError(error)) throw error;
          message = (error as Error).message;
        }
        expect(message, `depth ${depth}`).not.toBe("");
        if (depth > 32) expect(message).toMatch(/nesting deeper than 32 levels/);
      }),
      { seed: 107, numRuns: 60 },
    );
  });

  it.skipIf(process.platform === "win32")("readSafetensors refuses /dev/zero and a FIFO before reading (skipped: no /dev/zero or FIFOs on Windows)", () => {
    const dir = mkdtempSync(join(tmpdir(), "duet-st-special-"));
    try {
      const fifo = join(dir, "fifo.safetensors");
      execFileSync("mkfifo", [fifo]);
      for (const path of ["/dev/zero", fifo, dir]) {
        expect(() => readSafetensors(path), path).toThrow(/cannot read the file: not a regular file but (a device|a FIFO|a folder)/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
