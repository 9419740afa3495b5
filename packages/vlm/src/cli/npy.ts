/**
 * NumPy's .npy format, version 1.0, for float32 matrices: what `np.load` reads and what
 * clip-retrieval (and most embedding tools) take as embeddings. `duet index` writes its
 * features so; the reader is the writer's check.
 *
 *   bytes 0-5   "\x93NUMPY"                  the magic string
 *   bytes 6-7   1, 0                         format version 1.0
 *   bytes 8-9   HEADER_LEN, uint16 little-endian
 *   then        HEADER_LEN bytes of ASCII: a Python dict literal
 *                 {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }
 *               padded with spaces and ended by "\n", so that 10 + HEADER_LEN is a multiple
 *               of 64 (NumPy aligns its data so; a reader may then map it as float32)
 *   then        the N·D float32 values, little-endian, row-major (C order)
 */

export const NPY_MAGIC = "\x93NUMPY";
/** NumPy's ARRAY_ALIGN: the data starts at a multiple of this. */
export const NPY_ALIGN = 64;

export class NpyError extends Error {
  constructor(detail: string) {
    super(`npy: ${detail}`);
    this.name = "NpyError";
  }
}

/** The .npy bytes of a float32 array of `shape` (row-major `data`). */
export function npyBytes(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== data.length) {
    throw new NpyError(`shape [${shape.join(", ")}] does not hold the ${data.length} values given`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1; // magic, version, length, the dict, "\n"
  const headerLength = dict.length + 1 + ((NPY_ALIGN - (unpadded % NPY_ALIGN)) % NPY_ALIGN);
  const out = new Uint8Array(10 + headerLength + data.length * 4);
  for (let i = 0; i < 6; i++) out[i] = NPY_MAGIC.charCodeAt(i);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, headerLength, true);
  const header = `${dict}${" ".repeat(headerLength - dict.length - 1)}\n`;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const offset = 10 + headerLength;
  // explicit little-endian writes: the bytes are the same on any host
  for (let i = 0; i < data.length; i++) view.setFloat32(offset + 4 * i, data[i]!, true);
  return out;
}

/** Reads a float32, C-order .npy (version 1.0 to 3.0 headers); anything else is an NpyError. */
export function readNpy(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  const text = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length < 10 || text(0, 6) !== NPY_MAGIC) throw new NpyError(`not a .npy file (no "\\x93NUMPY" magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new NpyError(`format version ${major}.${bytes[7]} is not 1.0 to 3.0`);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  if (start + headerLength > bytes.length) throw new NpyError(`the header is ${headerLength} bytes but the file has ${bytes.length - start} after its length`);
  const header = text(start, start + headerLength);
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyError(`the header is not a dict with descr, fortran_order and shape: ${JSON.stringify(header.trim())}`);
  if (descr !== "<f4") throw new NpyError(`dtype ${descr}, expected little-endian float32 ('<f4')`);
  if (fortran !== "False") throw new NpyError("Fortran (column-major) order; expected C order");
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new NpyError(`bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  if (bytes.length - offset !== count * 4) throw new NpyError(`shape (${shape.join(", ")}) needs ${count * 4} bytes of data, the file has ${bytes.length - offset}`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + 4 * i, true);
  return { shape, data };
}
