/**
 * Safetensors files on disk. Writes are atomic: the bytes go to a temporary file in the
 * same folder, which is flushed to disk (fsync) and then renamed over the target, so a
 * reader sees either the old file or the complete new one — never a torn write, even if
 * the process dies midway. On any error the temporary file is removed. Reads take regular
 * files only (readRegularFile).
 */

import { closeSync, constants, fstatSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { encodeTensor, planFile, type SerializeOptions, type TensorDict } from "./encode.js";
import { SafetensorsError } from "./format.js";
import { decodeAll, SafetensorsReader, type ReadOptions, type SafetensorsContents } from "./reader.js";

/**
 * The bytes of a regular file. Anything else is refused before a byte is read: a FIFO blocks
 * until someone writes to it, /dev/zero never ends, a socket may do either — a hang where a
 * "bad file" error belongs. The file is opened non-blocking (so opening a FIFO returns at
 * once) and checked on the open descriptor (so it cannot be swapped between check and read);
 * symbolic links are followed to what they name. Errors are Node's, with `code` "ENOTREG"
 * for a file that is not regular; callers name the file and the op.
 */
export function readRegularFile(path: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const what = stat.isDirectory()
        ? "a folder"
        : stat.isFIFO()
          ? "a FIFO, whose reader waits for a writer"
          : stat.isCharacterDevice() || stat.isBlockDevice()
            ? "a device, which may never end"
            : "a socket";
      throw Object.assign(new Error(`not a regular file but ${what}`), { code: "ENOTREG" });
    }
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readBytes(op: string, path: string): Uint8Array {
  try {
    return readRegularFile(path);
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
