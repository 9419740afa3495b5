/**
 * Planning a safetensors file and encoding tensors into its bytes.
 *
 * The layout follows the reference writer byte for byte: tensors ordered by dtype
 * alignment (widest first) then by name, packed back to back; a compact JSON header with
 * `__metadata__` first, padded with spaces to a multiple of 8 bytes. Since the header
 * ends 8-aligned and wider dtypes come first, every tensor starts at a multiple of its
 * element size, so a reader can view the data in place. Same tensors, same bytes.
 */

import { fmtShape, isFloat, Tensor, type TypedArray } from "@duet/tensor";
import { numberToBf16, numberToF16 } from "./half.js";
import {
  bitsOf,
  compareCodePoints,
  isWellFormed,
  isWritable,
  SAFETENSORS_MAX_HEADER_BYTES,
  METADATA_KEY,
  rankOf,
  SafetensorsError,
  SAFETENSORS_WRITABLE_DTYPES,
  type WritableDType,
} from "./format.js";

/** Tensors by name: a plain object or a Map. */
export type TensorDict = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;

export interface SerializeOptions {
  /** Free-form strings stored under `__metadata__` (written in key order; omitted when empty). */
  metadata?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
  /** How float tensors are stored: F32, F64, F16 or BF16. Default: F32 for float32, F64 for float64. */
  floatDtype?: "F32" | "F64" | "F16" | "BF16";
  /** Per-tensor dtype, overriding `floatDtype`; int32 tensors may be stored as I32 or I64. */
  dtypes?: Readonly<Record<string, WritableDType>> | ((name: string, tensor: Tensor) => WritableDType | undefined);
}

export interface PlannedTensor {
  readonly name: string;
  readonly tensor: Tensor;
  readonly dtype: WritableDType;
  /** Byte offsets in the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface FilePlan {
  /** The first 8 + N bytes of the file: the length field and the padded JSON header. */
  readonly prefix: Uint8Array;
  readonly tensors: readonly PlannedTensor[];
  readonly dataLength: number;
}

const FLOAT_TARGETS: readonly WritableDType[] = ["F32", "F64", "F16", "BF16"];
const INT_TARGETS: readonly WritableDType[] = ["I32", "I64"];

/** Where errors are reported from: the calling op and the file, if any. */
interface Origin {
  readonly op: string;
  readonly source?: string | undefined;
}

function failer(origin: Origin) {
  return (detail: string, tensor?: string): never => {
    throw new SafetensorsError(origin.op, detail, { source: origin.source, tensor });
  };
}

function entriesOf<T>(origin: Origin, what: string, dict: Readonly<Record<string, T>> | ReadonlyMap<string, T>): [string, T][] {
  if (dict instanceof Map) return [...dict.entries()];
  if (dict === null || typeof dict !== "object") failer(origin)(`${what} must be an object or a Map, got ${String(dict)}`);
  return Object.entries(dict);
}

function chooseDtype(origin: Origin, name: string, tensor: Tensor, options: SerializeOptions): WritableDType {
  const fail = failer(origin);
  const { dtypes, floatDtype } = options;
  const asked = typeof dtypes === "function" ? dtypes(name, tensor) : dtypes !== undefined && Object.hasOwn(dtypes, name) ? dtypes[name] : undefined;
  const float = isFloat(tensor.dtype);
  const dtype = asked ?? (float ? (floatDtype ?? (tensor.dtype === "float64" ? "F64" : "F32")) : "I32");
  if (!isWritable(dtype)) {
    fail(`cannot write dtype ${String(dtype)}; writable dtypes are ${SAFETENSORS_WRITABLE_DTYPES.join(", ")}`, name);
  }
  const allowed = float ? FLOAT_TARGETS : INT_TARGETS;
  if (!allowed.includes(dtype)) {
    fail(`a ${tensor.dtype} tensor can be written as ${allowed.join(", ")}, not ${dtype}`, name);
  }
  return dtype;
}

/** Checks the tensors and options and lays out the file; touches no tensor data. */
export function planFile(origin: Origin, tensors: TensorDict, options: SerializeOptions = {}): FilePlan {
  const fail = failer(origin);
  const named = entriesOf(origin, "tensors", tensors);
  for (const [name, tensor] of named) {
    if (typeof name !== "string") fail(`tensor names must be strings, got ${String(name)}`);
    if (name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
    if (!isWellFormed(name)) fail(`tensor name ${JSON.stringify(name)} holds an unpaired surrogate, which UTF-8 cannot encode`);
    if (!(tensor instanceof Tensor)) fail(`expected a Tensor, got ${Object.prototype.toString.call(tensor)}`, name);
  }
  const { dtypes } = options;
  if (dtypes !== undefined && typeof dtypes !== "function") {
    const names = new Set(named.map(([name]) => name));
    for (const key of Object.keys(dtypes)) {
      if (!names.has(key)) fail(`options.dtypes names ${JSON.stringify(key)}, but no tensor is called that`);
    }
  }
  const typed = named.map(([name, tensor]) => ({ name, tensor, dtype: chooseDtype(origin, name, tensor, options) }));
  typed.sort((a, b) => rankOf(b.dtype) - rankOf(a.dtype) || compareCodePoints(a.name, b.name));

  let offset = 0;
  const planned: PlannedTensor[] = typed.map(({ name, tensor, dtype }) => {
    const begin = offset;
    offset += (tensor.size * bitsOf(dtype)) / 8;
    return { name, tensor, dtype, begin, end: offset };
  });

  const metadata = options.metadata === undefined ? [] : entriesOf(origin, "options.metadata", options.metadata);
  for (const [key, value] of metadata) {
    if (typeof key !== "string" || typeof value !== "string") {
      fail(`metadata must map strings to strings, but ${JSON.stringify(key)} maps to ${typeof value} ${String(value)}`);
    }
    if (!isWellFormed(key) || !isWellFormed(value)) fail(`metadata ${JSON.stringify(key)}: ${JSON.stringify(value)} holds an unpaired surrogate, which UTF-8 cannot encode`);
  }
  metadata.sort(([a], [b]) => compareCodePoints(a, b));

  const parts: string[] = [];
  if (metadata.length > 0) {
    const pairs = metadata.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${pairs.join(",")}}`);
  }
  for (const t of planned) {
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":${fmtShape(t.tensor.shape)},"data_offsets":[${t.begin},${t.end}]}`);
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) {
    fail(`the header would be ${headerLength} bytes, above the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit readers enforce`);
  }
  const prefix = new Uint8Array(8 + headerLength).fill(0x20, 8); // pad with spaces
  new DataView(prefix.buffer).setUint32(0, headerLength, true); // high half stays 0
  prefix.set(json, 8);
  return { prefix, tensors: planned, dataLength: offset };
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Encodes `values` as `dtype` into `out`, which must hold exactly their bytes. */
export function encodeValues(values: TypedArray, dtype: WritableDType, out: Uint8Array): void {
  const n = values.length;
  const native =
    (dtype === "F32" && values instanceof Float32Array) || (dtype === "F64" && values instanceof Float64Array) || (dtype === "I32" && values instanceof Int32Array);
  if (native && littleEndianHost) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  switch (dtype) {
    case "F64":
      for (let i = 0; i < n; i++) view.setFloat64(8 * i, values[i]!, true);
      break;
    case "F32":
      for (let i = 0; i < n; i++) view.setFloat32(4 * i, values[i]!, true); // rounds to nearest even
      break;
    case "F16":
      for (let i = 0; i < n; i++) view.setUint16(2 * i, numberToF16(values[i]!), true);
      break;
    case "BF16":
      for (let i = 0; i < n; i++) view.setUint16(2 * i, numberToBf16(values[i]!), true);
      break;
    case "I32":
      for (let i = 0; i < n; i++) view.setInt32(4 * i, values[i]!, true);
      break;
    case "I64":
      // sign-extend: the high word is all ones for a negative value
      for (let i = 0; i < n; i++) {
        view.setInt32(8 * i, values[i]!, true);
        view.setInt32(8 * i + 4, values[i]! < 0 ? -1 : 0, true);
      }
      break;
  }
}

/** Elements per encoding step when streaming, so a huge tensor needs no second full-size buffer. */
export const CHUNK_ELEMENTS = 1 << 20;

/** Calls `sink` with the encoded bytes of one tensor, chunk by chunk. */
export function encodeTensor(planned: PlannedTensor, sink: (bytes: Uint8Array) => void): void {
  const values = planned.tensor.contiguousData();
  if (values.length !== planned.tensor.size) {
    throw new SafetensorsError("safetensors", `tensor data holds ${values.length} elements but shape ${fmtShape(planned.tensor.shape)} needs ${planned.tensor.size}`, {
      tensor: planned.name,
    });
  }
  const width = bitsOf(planned.dtype) / 8;
  for (let from = 0; from < values.length; from += CHUNK_ELEMENTS) {
    const chunk = values.subarray(from, Math.min(values.length, from + CHUNK_ELEMENTS));
    const out = new Uint8Array(chunk.length * width);
    encodeValues(chunk, planned.dtype, out);
    sink(out);
  }
}
