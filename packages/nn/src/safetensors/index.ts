export { SafetensorsError, SAFETENSORS_MAX_HEADER_BYTES, SAFETENSORS_DTYPES, SAFETENSORS_READABLE_DTYPES, SAFETENSORS_WRITABLE_DTYPES } from "./format.js";
export type { SafetensorsDType, ReadableDType, WritableDType } from "./format.js";
export type { SafetensorsEntry } from "./header.js";
export { openSafetensors, parseSafetensors, SafetensorsReader } from "./reader.js";
export type { ReadOptions, TensorReadOptions, SafetensorsContents } from "./reader.js";
export { serializeSafetensors } from "./writer.js";
export type { SerializeOptions, TensorDict } from "./encode.js";
export { f16ToNumber, numberToF16, bf16ToNumber, numberToBf16 } from "./half.js";
