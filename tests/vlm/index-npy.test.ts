/** The .npy writer of `duet index`'s export (cli/npy.ts): NumPy's own bytes, a header that parses, data that round-trips. */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NPY_ALIGN, npyBytes, NpyError, readNpy } from "../../packages/vlm/src/cli/npy.js";

/** `np.save(f, np.arange(6, dtype="<f4").reshape(3, 2))`, NumPy 2.4.6, base64. */
const NUMPY_ARANGE_3x2 =
  "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEA=";

function header(bytes: Uint8Array): { major: number; minor: number; length: number; text: string } {
  const length = bytes[8]! | (bytes[9]! << 8);
  return { major: bytes[6]!, minor: bytes[7]!, length, text: String.fromCharCode(...bytes.subarray(10, 10 + length)) };
}

describe("npyBytes", () => {
  it("writes what NumPy's np.save writes", () => {
    const numpy = Buffer.from(NUMPY_ARANGE_3x2, "base64");
    expect(Buffer.from(npyBytes(new Float32Array([0, 1, 2, 3, 4, 5]), [3, 2]))).toEqual(numpy);
    expect(readNpy(numpy)).toEqual({ shape: [3, 2], data: new Float32Array([0, 1, 2, 3, 4, 5]) });
  });

  it("has the magic, version 1.0, and a dict header padded to a multiple of 64 ending in a newline", () => {
    for (const shape of [[0, 4], [1, 1], [3, 512], [1000000, 1], [7]]) {
      const count = shape.reduce((a, b) => a * b, 1);
      const bytes = npyBytes(new Float32Array(count), shape);
      expect(String.fromCharCode(...bytes.subarray(0, 6))).toBe("\x93NUMPY");
      const h = header(bytes);
      expect([h.major, h.minor]).toEqual([1, 0]);
      expect((10 + h.length) % NPY_ALIGN).toBe(0);
      expect(h.text.endsWith("\n")).toBe(true);
      const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
      expect(h.text.trimEnd()).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`);
      expect(bytes.length).toBe(10 + h.length + 4 * count);
    }
  });

  it("round-trips any float32 matrix, bit for bit (NaN, -0 and infinities included)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.array(fc.float({ noDefaultInfinity: false }), { minLength: 54, maxLength: 54 }), (n, d, pool) => {
        const data = Float32Array.from({ length: n * d }, (_, i) => pool[i % pool.length]!);
        const back = readNpy(npyBytes(data, [n, d]));
        expect(back.shape).toEqual([n, d]);
        expect(new Uint32Array(back.data.buffer)).toEqual(new Uint32Array(data.buffer));
      }),
      { seed: 13, numRuns: 60 },
    );
    const special = new Float32Array([NaN, -0, Infinity, -Infinity, 1e-45]);
    expect(Object.is(readNpy(npyBytes(special, [5])).data[1], -0)).toBe(true);
  });

  it("refuses a shape that does not hold the data, and files that are not float32 C-order .npy", () => {
    expect(() => npyBytes(new Float32Array(5), [2, 3])).toThrow(/shape \[2, 3\] does not hold the 5 values/);
    const good = npyBytes(new Float32Array([1, 2]), [2]);
    expect(() => readNpy(new Uint8Array([1, 2, 3]))).toThrow(NpyError);
    const f8 = Uint8Array.from(good);
    f8.set(new TextEncoder().encode("<f8"), 10 + header(good).text.indexOf("<f4"));
    expect(() => readNpy(f8)).toThrow(/dtype <f8, expected little-endian float32/);
    expect(() => readNpy(good.subarray(0, good.length - 1))).toThrow(/needs 8 bytes of data, the file has 7/);
  });
});
