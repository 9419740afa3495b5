/**
 * `duet serve`'s HTTP server (node:http): the page, its bundle, the checkpoint, the image set
 * and the OpenMoji training data, to one browser on this machine.
 *
 * It serves only its own files, and a bad request never takes it down:
 *   - bound to 127.0.0.1 unless --host says otherwise; while on loopback, a request whose Host
 *     header is not this server's own (127.0.0.1:P, localhost:P, [::1]:P) is refused, so a
 *     web page that re-points its domain at 127.0.0.1 (DNS rebinding) cannot read the files;
 *   - only GET and HEAD (405 otherwise); a request target longer than MAX_URL_BYTES gets 414,
 *     a body over MAX_BODY_BYTES 413 (Node itself answers 431 to oversized headers);
 *   - file routes map a URL to a file through resolveInside (paths.ts): no "..", encoded or
 *     double-encoded, no backslashes, NUL bytes, absolute paths or symlinks out of the folder;
 *   - anything unknown is 404; an exception in a handler is a 500 for that request alone.
 * Every response carries COOP same-origin and COEP require-corp, which make the page
 * cross-origin isolated — the condition for SharedArrayBuffer, and so for the engine's
 * worker pool — plus CORP, nosniff and a Content-Security-Policy of 'self' only.
 */

import { createReadStream } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { basename, dirname, extname } from "node:path";
import type { AddressInfo } from "node:net";
import type { Asset } from "./bundle.js";
import { resolveInside } from "./paths.js";
import { IMAGE_EXTENSIONS, ServeSources, type ServeSourceOptions } from "./sources.js";

export const MAX_URL_BYTES = 2048;
export const MAX_BODY_BYTES = 16 * 1024;
export const MAX_HEADER_BYTES = 16 * 1024;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gz": "application/gzip",
  ".safetensors": "application/octet-stream",
  ".bin": "application/octet-stream",
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

export interface ServeOptions extends ServeSourceOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** The built page (buildBrowserAssets); tests may pass a stand-in. */
  assets: ReadonlyMap<string, Asset>;
  /** Where to report a failed request (default: nowhere). */
  log?: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith("127.");
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Consumes a request body up to `limit` bytes; false when it is larger (the socket is then closed after the answer). */
function drainBody(req: IncomingMessage, limit: number): Promise<boolean> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) return Promise.resolve(false);
  if (declared === undefined && req.headers["transfer-encoding"] === undefined) return Promise.resolve(true);
  return new Promise((resolve) => {
    let seen = 0;
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) {
        req.off("data", onData);
        req.pause();
        resolve(false);
      }
    };
    req.on("data", onData);
    req.on("end", () => resolve(seen <= limit));
    req.on("error", () => resolve(false));
  });
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const sources = new ServeSources(options);
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? (() => {});
  let allowedHosts: Set<string> | null = null;

  const send = (res: ServerResponse, status: number, type: string, body: Uint8Array | string, head: boolean) => {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    res.writeHead(status, { "Content-Type": type, "Content-Length": bytes.length, "Cache-Control": "no-cache" });
    res.end(head ? undefined : bytes);
  };
  const sendJson = (res: ServerResponse, value: unknown, head: boolean) => send(res, 200, CONTENT_TYPES[".json"]!, JSON.stringify(value), head);
  const sendError = (res: ServerResponse, status: number, message: string, head = false) => {
    if (status === 413 || status === 414) res.setHeader("Connection", "close");
    send(res, status, "text/plain; charset=utf-8", `${status} ${message}\n`, head);
  };

  /** A file that resolveInside already checked, streamed (or only its headers, for HEAD). */
  const sendFile = (res: ServerResponse, path: string, size: number, head: boolean) => {
    res.writeHead(200, { "Content-Type": contentTypeOf(path), "Content-Length": size, "Cache-Control": "no-cache" });
    if (head) {
      res.end();
      return;
    }
    const stream = createReadStream(path);
    stream.on("error", (error) => {
      log(`duet serve: reading ${path} failed: ${error.message}`);
      res.destroy();
    });
    stream.pipe(res);
  };

  const serveInside = (res: ServerResponse, root: string | undefined, rest: string, head: boolean, allowed?: (path: string) => boolean) => {
    if (root === undefined) throw new HttpError(404, "not found");
    const found = resolveInside(root, rest);
    if (!found.ok) throw new HttpError(found.status, found.status === 404 ? "not found" : found.status === 403 ? "forbidden" : "bad request");
    if (allowed && !allowed(found.path)) throw new HttpError(404, "not found");
    sendFile(res, found.path, found.size, head);
  };

  const route = async (path: string, res: ServerResponse, head: boolean): Promise<void> => {
    if (path === "/" || path === "/index.html") {
      const page = options.assets.get("index.html");
      if (!page) throw new HttpError(404, "not found");
      return send(res, 200, page.type, page.body, head);
    }
    if (path.startsWith("/app/")) {
      const asset = options.assets.get(path.slice("/app/".length));
      if (!asset || path.slice(5) === "index.html") throw new HttpError(404, "not found");
      return send(res, 200, asset.type, asset.body, head);
    }
    if (path === "/api/info") return sendJson(res, sources.info(), head);
    if (path === "/api/images") return sendJson(res, await sources.imageSet(), head);
    if (path.startsWith("/checkpoint/")) {
      const rest = path.slice("/checkpoint/".length);
      if (!sources.checkpointFiles.includes(rest)) throw new HttpError(404, "not found");
      return serveInside(res, sources.checkpointDir, rest, head);
    }
    if (path.startsWith("/images/file/")) {
      return serveInside(res, sources.imagesDir, path.slice("/images/file/".length), head, (file) => IMAGE_EXTENSIONS.includes(extname(file).toLowerCase()));
    }
    if (path === "/openmoji/meta.json") return sendJson(res, sources.openMojiMeta(), head);
    const raster = /^\/openmoji\/(\d{1,4})\/pixels\.bin$/.exec(path);
    if (raster !== null) {
      const resolution = Number(raster[1]);
      if (!sources.resolutions.includes(resolution)) throw new HttpError(404, "not found");
      const openMoji = await sources.openMoji(resolution);
      return send(res, 200, CONTENT_TYPES[".bin"]!, openMoji.pixels, head);
    }
    if (path === "/vocab/clip-bpe.txt.gz") return serveInside(res, dirname(sources.vocabPath()), basename(sources.vocabPath()), head);
    throw new HttpError(404, "not found");
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const target = req.url ?? "";
    const head = req.method === "HEAD";
    if (Buffer.byteLength(target) > MAX_URL_BYTES) return sendError(res, 414, "URI too long", head);
    if (!(await drainBody(req, MAX_BODY_BYTES))) return sendError(res, 413, "request body too large", head);
    if (allowedHosts !== null && !allowedHosts.has((req.headers.host ?? "").toLowerCase())) return sendError(res, 403, "unexpected Host header", head);
    if (req.method !== "GET" && !head) {
      res.setHeader("Allow", "GET, HEAD");
      return sendError(res, 405, "method not allowed");
    }
    if (!target.startsWith("/")) return sendError(res, 400, "bad request target", head);
    const path = target.replace(/[?#].*$/s, "");
    try {
      await route(path, res, head);
    } catch (error) {
      if (error instanceof HttpError) return sendError(res, error.status, error.message, head);
      throw error;
    }
  };

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 60_000, headersTimeout: 15_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`duet serve: ${req.method} ${String(req.url).slice(0, 200)} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendError(res, 500, "internal error");
      else res.destroy();
    });
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  if (isLoopback(host)) allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, ...(host.startsWith("127.") ? [`${host}:${port}`] : [])]);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    host,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
