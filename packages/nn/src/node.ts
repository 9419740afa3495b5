/**
 * @duet/nn/node: the parts of @duet/nn that need Node, kept out of the main entry so that a
 * browser bundle of @duet/nn reaches no Node built-in. Today that is safetensors files on disk
 * (node:fs); the bytes themselves are parsed and written by the main entry's
 * parseSafetensors, openSafetensors and serializeSafetensors, which run anywhere.
 *
 *   openSafetensorsFile(path)          a checked reader over a file's bytes
 *   readSafetensors(path)              the whole file, decoded
 *   writeSafetensors(path, tensors)    an atomic write (temporary file, fsync, rename)
 *   readRegularFile(path)              a file's bytes, refusing a FIFO or a device (which
 *                                      could block or never end) before reading
 */

export { openSafetensorsFile, readRegularFile, readSafetensors, writeSafetensors } from "./safetensors/file.js";
