/**
 * Stored bytes → a Duet tensor of the requested dtype.
 *
 * Floats (F64, F32, F16, BF16) become float32 or float64; F16 and BF16 decode exactly.
 * Integers (I64 … U8, BOOL) become int32 when every value fits — a value that does not
 * is an error, never a silent wrap — or float32/float64 by value. Floats are never
 * turned into int32 here: that would truncate, and truncation should be asked for
 * explicitly (`tensor.to("int32")`).
 */

import { allocate, Tensor, type DType, type TypedArray } from "@duet/tensor";
import { bf16ToNumber, f16ToNumber } from "./half.js";
import { FLOAT_DTYPES, isReadable, SAFETENSORS_READABLE_DTYPES, SafetensorsError } from "./format.js";
import type { Origin, SafetensorsEntry } from "./header.js";

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** What each dtype is read as when nothing else is asked. */
export function defaultTarget(entry: SafetensorsEntry, floatDtype: DType): DType {
  return FLOAT_DTYPES.includes(entry.dtype) ? floatDtype : "int32";
}

/**
 * Decodes one tensor. `dataStart` is the data section's position in `bytes`; the header
 * check has already proved the tensor's span lies inside `bytes`.
 */
export function decodeTensor(bytes: Uint8Array, dataStart: number, entry: SafetensorsEntry, target: DType, origin: Origin): Tensor {
  const fail = (detail: string): never => {
    throw new SafetensorsError(origin.op, detail, { source: origin.source, tensor: entry.name });
  };
  const stored = entry.dtype;
  if (!isReadable(stored)) {
    return fail(`dtype ${stored} is valid safetensors but Duet cannot read it; readable dtypes are ${SAFETENSORS_READABLE_DTYPES.join(", ")}`);
  }
  if (target !== "float32" && target !== "float64" && target !== "int32") {
    return fail(`cannot read as ${String(target)}: the tensor dtypes are float32, float64 and int32`);
  }
  const storedIsFloat = FLOAT_DTYPES.includes(stored);
  if (storedIsFloat && target === "int32") {
    fail(`is stored as ${stored}; reading it as int32 would truncate, so read it as a float dtype and convert explicitly`);
  }

  const begin = dataStart + entry.dataOffsets[0];
  const nbytes = entry.dataOffsets[1] - entry.dataOffsets[0];
  let count = 1;
  for (const d of entry.shape) count *= d;
  const out = allocate(target, count);

  const sameLayout = (stored === "F32" && target === "float32") || (stored === "F64" && target === "float64") || (stored === "I32" && target === "int32");
  if (sameLayout && littleEndianHost) {
    new Uint8Array(out.buffer, out.byteOffset, nbytes).set(bytes.subarray(begin, begin + nbytes));
    return new Tensor(out, entry.shape);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset + begin, nbytes);
  const toInt32 = target === "int32";
  // Stores an integer, refusing one that int32 cannot hold.
  const putInt = (out: TypedArray, i: number, value: number): void => {
    if (toInt32 && (value > 2147483647 || value < -2147483648)) {
      fail(`${stored} value ${value} at flat index ${i} does not fit in int32; read it as float64 or store values in int32's range`);
    }
    out[i] = value;
  };

  switch (stored) {
    case "F64":
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case "F32":
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case "F16":
      for (let i = 0; i < count; i++) out[i] = f16ToNumber(view.getUint16(2 * i, true));
      break;
    case "BF16":
      for (let i = 0; i < count; i++) out[i] = bf16ToNumber(view.getUint16(2 * i, true));
      break;
    case "I64":
      // high × 2^32 + low is one correctly rounded addition of two exact terms
      for (let i = 0; i < count; i++) putInt(out, i, view.getInt32(8 * i + 4, true) * 2 ** 32 + view.getUint32(8 * i, true));
      break;
    case "U64":
      for (let i = 0; i < count; i++) putInt(out, i, view.getUint32(8 * i + 4, true) * 2 ** 32 + view.getUint32(8 * i, true));
      break;
    case "I32":
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      break;
    case "U32":
      for (let i = 0; i < count; i++) putInt(out, i, view.getUint32(4 * i, true));
      break;
    case "I16":
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true);
      break;
    case "U16":
      for (let i = 0; i < count; i++) out[i] = view.getUint16(2 * i, true);
      break;
    case "I8":
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case "U8":
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
    case "BOOL":
      // numpy and PyTorch treat any non-zero byte as true
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i) === 0 ? 0 : 1;
      break;
  }
  return new Tensor(out, entry.shape);
}
