/**
 * `duet serve`'s HTTP server: it serves only its own files, with the headers that make the
 * page cross-origin isolated, and no request — traversal attempts, encoded or not, symlinks
 * out of the folder, oversized URLs, bodies or headers, garbage — gets anything else or
 * takes it down. Requests go over a raw socket, byte for byte as written here: an HTTP client
 * library would normalise the very paths under test.
 */

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSegments, resolveInside } from "../../packages/vlm/src/serve/paths.js";
import { MAX_URL_BYTES, startServer, type RunningServer } from "../../packages/vlm/src/serve/server.js";

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Sends `request` as is and reads the whole answer (the server closes or we ask it to). */
function raw(port: number, request: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" && chunks.length > 0 ? socket.emit("end") : reject(error)));
    socket.on("end", () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf("\r\n\r\n");
      const head = all.subarray(0, split).toString("latin1").split("\r\n");
      const status = Number(head[0]!.split(" ")[1]);
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status, headers, body: all.subarray(split + 4) });
      socket.destroy();
    });
    socket.setTimeout(10_000, () => reject(new Error("no answer within 10 s")));
    socket.write(request);
  });
}

let root: string;
let server: RunningServer;
let port: number;
const get = (target: string, extra = "", method = "GET") => raw(port, `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${extra}\r\n`);

const PNG_BYTES = Buffer.from("\x89PNG\r\n\x1a\nnot really a png, but served as one", "latin1");

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "duet-serve-"));
  const images = join(root, "images");
  const checkpoint = join(root, "checkpoint");
  const outside = join(root, "outside");
  for (const dir of [images, join(images, "sub"), checkpoint, outside]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(images, "a.png"), PNG_BYTES);
  writeFileSync(join(images, "sub", "b c.jpg"), "jpeg bytes");
  writeFileSync(join(images, "notes.txt"), "not an image");
  writeFileSync(join(images, ".hidden.png"), PNG_BYTES);
  writeFileSync(join(outside, "secret.png"), "SECRET");
  writeFileSync(join(root, "secret.png"), "SECRET");
  symlinkSync(join(outside, "secret.png"), join(images, "link-out.png"));
  symlinkSync(join(images, "a.png"), join(images, "link-in.png"));
  symlinkSync(outside, join(images, "dir-out"));
  const config = {
    embed_dim: 16,
    vision_cfg: { image_size: 32, patch_size: 8, width: 16, layers: 1, head_width: 16 },
    text_cfg: { context_length: 8, vocab_size: 600, width: 16, heads: 1, layers: 1 },
    duet: { tokenizer: "tokenizer.json" },
  };
  writeFileSync(join(checkpoint, "config.json"), JSON.stringify(config));
  writeFileSync(join(checkpoint, "model.safetensors"), "weights");
  writeFileSync(join(checkpoint, "other.txt"), "not served");
  const assets = new Map([
    ["index.html", { body: Buffer.from("<!doctype html><title>Duet</title>"), type: "text/html; charset=utf-8" }],
    ["page.js", { body: Buffer.from("console.log(1)"), type: "text/javascript; charset=utf-8" }],
    ["style.css", { body: Buffer.from("body{}"), type: "text/css; charset=utf-8" }],
  ]);
  server = await startServer({ checkpoint, images, port: 0, assets });
  port = server.port;
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("duet serve: what it serves", () => {
  it("binds to loopback by default, on the port it reports", () => {
    expect(server.host).toBe("127.0.0.1");
    expect(server.url).toBe(`http://127.0.0.1:${port}/`);
  });

  it("sends the isolation and safety headers on every answer, errors included", async () => {
    for (const target of ["/", "/app/page.js", "/api/info", "/images/file/a.png", "/nope", "/images/file/%2e%2e/secret.png"]) {
      const response = await get(target);
      expect(response.headers["cross-origin-opener-policy"], target).toBe("same-origin");
      expect(response.headers["cross-origin-embedder-policy"], target).toBe("require-corp");
      expect(response.headers["cross-origin-resource-policy"], target).toBe("same-origin");
      expect(response.headers["x-content-type-options"], target).toBe("nosniff");
      expect(response.headers["content-security-policy"], target).toContain("default-src 'self'");
    }
  });

  it.each([
    ["/", "text/html; charset=utf-8"],
    ["/index.html", "text/html; charset=utf-8"],
    ["/app/page.js", "text/javascript; charset=utf-8"],
    ["/app/style.css", "text/css; charset=utf-8"],
    ["/api/info", "application/json; charset=utf-8"],
    ["/api/images", "application/json; charset=utf-8"],
    ["/images/file/a.png", "image/png"],
    ["/images/file/sub/b%20c.jpg", "image/jpeg"],
    ["/images/file/link-in.png", "image/png"],
    ["/checkpoint/config.json", "application/json; charset=utf-8"],
    ["/checkpoint/model.safetensors", "application/octet-stream"],
    ["/vocab/clip-bpe.txt.gz", "application/gzip"],
  ])("GET %s: 200 as %s", async (target, type) => {
    const response = await get(target);
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe(type);
    expect(Number(response.headers["content-length"])).toBe(response.body.length);
  });

  it("serves the files' own bytes, and lists the image set", async () => {
    expect((await get("/images/file/a.png")).body.equals(PNG_BYTES)).toBe(true);
    const set = JSON.parse((await get("/api/images")).body.toString()) as { kind: string; items: { name: string; url: string }[] };
    expect(set.kind).toBe("files");
    expect(set.items.map((i) => i.name)).toEqual(["a.png", "link-in.png", "sub/b c.jpg"]);
    expect(set.items[2]!.url).toBe("/images/file/sub/b%20c.jpg");
    const info = JSON.parse((await get("/api/info")).body.toString()) as { checkpoint: { files: string[] } };
    expect(info.checkpoint.files).toEqual(["config.json", "model.safetensors"]);
  });

  it("answers HEAD with the headers and no body", async () => {
    const response = await get("/images/file/a.png", "", "HEAD");
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("image/png");
    expect(Number(response.headers["content-length"])).toBe(PNG_BYTES.length);
    expect(response.body.length).toBe(0);
    expect((await get("/nope", "", "HEAD")).status).toBe(404);
  });

  it.each(["/nope", "/app/nope.js", "/app/", "/api", "/checkpoint/other.txt", "/checkpoint/", "/images/file/notes.txt", "/images/file/.hidden.png", "/images/file/missing.png", "/images/file/sub", "/openmoji/31/pixels.bin", "/favicon.ico"])(
    "GET %s: 404",
    async (target) => {
      expect((await get(target)).status).toBe(404);
    },
  );
});

describe("duet serve: path traversal", () => {
  it.each([
    ["/images/file/../secret.png", 403],
    ["/images/file/./a.png", 403],
    ["/images/file/sub/../../secret.png", 403],
    ["/images/file/%2e%2e/secret.png", 403],
    ["/images/file/%2E%2E/%2E%2E/secret.png", 403],
    ["/images/file/%2e%2e%2fsecret.png", 403],
    ["/images/file/%252e%252e/secret.png", 403],
    ["/images/file/%252e%252e%252fsecret.png", 403],
    ["/images/file/..%5csecret.png", 403],
    ["/images/file/..\\secret.png", 403],
    ["/images/file/%2fetc%2fpasswd", 403],
    ["/images/file/C:%5cWindows%5cwin.ini", 403],
    ["/images/file/a.png%00.txt", 403],
    ["/images/file/link-out.png", 403],
    ["/images/file/dir-out/secret.png", 403],
    ["/images/file//etc/passwd", 404],
    ["/images/file/", 404],
    ["/checkpoint/../secret.png", 404],
    ["/checkpoint/%2e%2e%2fsecret.png", 404],
    ["/../secret.png", 404],
    ["/images/file/%zz.png", 400],
    ["http://127.0.0.1/images/file/a.png", 400],
  ])("GET %s: %i, and never the file's bytes", async (target, status) => {
    const response = await get(target);
    expect(response.status).toBe(status);
    expect(response.body.toString()).not.toContain("SECRET");
  });

  it("decodes each segment once, after splitting on '/'", () => {
    expect(decodeSegments("sub/b%20c.jpg")).toEqual({ ok: true, segments: ["sub", "b c.jpg"] });
    expect(decodeSegments("a%2fb")).toMatchObject({ ok: false, status: 403 });
    expect(decodeSegments("%252e%252e")).toMatchObject({ ok: false, status: 403 });
    expect(decodeSegments("a\u0001b")).toMatchObject({ ok: false, status: 403 });
  });

  it("refuses a symlink out of the root but follows one inside it", () => {
    expect(resolveInside(join(root, "images"), "link-out.png")).toMatchObject({ ok: false, status: 403 });
    expect(resolveInside(join(root, "images"), "link-in.png")).toMatchObject({ ok: true });
  });
});

describe("duet serve: limits and bad requests", () => {
  it("answers a request target over the limit with 414", async () => {
    const response = await get(`/images/file/${"a".repeat(MAX_URL_BYTES)}.png`);
    expect(response.status).toBe(414);
  });

  it("answers a body over the limit with 413, declared or chunked", async () => {
    expect((await get("/", `Content-Length: ${10 * 1024 * 1024}\r\n`)).status).toBe(413);
    const chunk = "x".repeat(8192);
    const chunked = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${`2000\r\n${chunk}\r\n`.repeat(4)}0\r\n\r\n`;
    expect((await raw(port, chunked)).status).toBe(413);
    // a small body on a GET is read and ignored
    expect((await raw(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`)).status).toBe(200);
  });

  it("answers oversized headers with 431", async () => {
    expect((await get("/", `X-Big: ${"b".repeat(20_000)}\r\n`)).status).toBe(431);
  });

  it("allows only GET and HEAD", async () => {
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
      const response = await raw(port, `${method} / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      expect(response.status, method).toBe(405);
      expect(response.headers["allow"]).toBe("GET, HEAD");
    }
  });

  it("refuses a foreign Host header (DNS rebinding) and accepts its own names", async () => {
    expect((await raw(port, `GET / HTTP/1.1\r\nHost: evil.example:${port}\r\nConnection: close\r\n\r\n`)).status).toBe(403);
    expect((await raw(port, `GET / HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`)).status).toBe(200);
    expect((await raw(port, `GET / HTTP/1.1\r\nConnection: close\r\n\r\n`)).status).toBe(400); // HTTP/1.1 requires Host
  });

  it("survives garbage and keeps serving", async () => {
    for (const junk of ["GARBAGE\r\n\r\n", "GET\r\n\r\n", "\x00\x01\x02\r\n\r\n", `GET /${"%".repeat(50)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`]) {
      const response = await raw(port, junk);
      expect(response.status, JSON.stringify(junk)).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    expect((await get("/")).status).toBe(200);
  });
});
