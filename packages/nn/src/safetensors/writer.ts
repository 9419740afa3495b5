/** Writing safetensors to bytes in memory (see file.ts for writing to disk). */

import { encodeTensor, planFile, type SerializeOptions, type TensorDict } from "./encode.js";

/**
 * The safetensors bytes of `tensors`: deterministic (same tensors and metadata, same
 * bytes, whatever the insertion order) and identical to what Python's safetensors writes.
 * Non-contiguous tensors are written in row-major order.
 */
export function serializeSafetensors(tensors: TensorDict, options: SerializeOptions = {}): Uint8Array {
  const plan = planFile({ op: "serializeSafetensors" }, tensors, options);
  const out = new Uint8Array(plan.prefix.length + plan.dataLength);
  out.set(plan.prefix);
  let at = plan.prefix.length;
  for (const planned of plan.tensors) {
    encodeTensor(planned, (bytes) => {
      out.set(bytes, at);
      at += bytes.length;
    });
  }
  return out;
}
