/**
 * Webdataset shards: plain POSIX (ustar) tar files, written with tar-stream, in which the files
 * of one sample share a key: `000000042.png` and `000000042.txt` are sample 000000042's image and
 * caption. webdataset groups consecutive members by the part of the name before its first dot, so
 * a key holds no dot and a sample's files are written one after the other.
 *
 * Entries carry fixed metadata (mtime 0, mode 0644, uid/gid 0, no user names), so the same data
 * gives byte-identical shards.
 */

import { closeSync, createWriteStream, fsyncSync, openSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";

/** One sample of a shard: its key and its files by extension ("png", "txt", ...). */
export interface ShardSample {
  readonly key: string;
  readonly files: Readonly<Record<string, Uint8Array>>;
}

/** Writes `samples` as one tar file at `path` and flushes it to disk. */
export async function writeTarShard(path: string, samples: Iterable<ShardSample>): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(path, { flags: "wx" }));
  for (const { key, files } of samples) {
    if (key.includes(".") || key.includes("/") || key === "") throw new Error(`writeTarShard: the key ${JSON.stringify(key)} must be non-empty, without "." or "/"`);
    for (const [extension, bytes] of Object.entries(files)) {
      pack.entry({ name: `${key}.${extension}`, size: bytes.length, mtime: new Date(0), mode: 0o644, uid: 0, gid: 0, uname: "", gname: "" }, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
  }
  pack.finalize();
  await written;
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
