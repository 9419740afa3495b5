/**
 * Safetensors files on disk. Writes are atomic: the bytes go to a temporary file in the
 * same folder, which is flushed to disk (fsync) and then renamed over the target, so a
 * reader sees either the old file or the complete new one — never a torn write, even if
 * the process dies midway. On any error the temporary file is removed.
 */

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { encodeTensor, planFile, type SerializeOptions, type TensorDict } from "./encode.js";
import { SafetensorsError } from "./format.js";
import { decodeAll, SafetensorsReader, type ReadOptions, type SafetensorsContents } from "./reader.js";

function readBytes(op: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SafetensorsError(op, `cannot read the file: ${(error as Error).message}`, { source: path }, { cause: error });
  }
}

/** Opens a safetensors file and checks its header; decode tensors with `reader.tensor(name)`. */
export function openSafetensorsFile(path: string, options: Pick<ReadOptions, "floatDtype"> = {}): SafetensorsReader {
  return new SafetensorsReader(readBytes("openSafetensorsFile", path), { ...options, source: path, op: "openSafetensorsFile" });
}

/** Reads, checks and decodes a whole safetensors file. */
export function readSafetensors(path: string, options: Omit<ReadOptions, "source"> = {}): SafetensorsContents {
  const reader = new SafetensorsReader(readBytes("readSafetensors", path), { ...options, source: path, op: "readSafetensors" });
  return decodeAll("readSafetensors", reader, options);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Makes a rename durable; some platforms (Windows) cannot open a folder, which is fine. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, "r");
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `tensors` to `path` atomically (see serializeSafetensors for the layout). */
export function writeSafetensors(path: string, tensors: TensorDict, options: SerializeOptions = {}): void {
  const op = "writeSafetensors";
  // every check happens before the disk is touched
  const plan = planFile({ op, source: path }, tensors, options);
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, "wx");
    writeAll(fd, plan.prefix);
    for (const planned of plan.tensors) encodeTensor(planned, (bytes) => writeAll(fd!, bytes));
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error matters
      }
    }
    try {
      unlinkSync(temporary);
    } catch {
      // it may never have been created
    }
    if (error instanceof SafetensorsError) throw error;
    throw new SafetensorsError(op, `writing failed, the previous file (if any) is untouched: ${(error as Error).message}`, { source: path }, { cause: error });
  }
  syncFolder(folder);
}
