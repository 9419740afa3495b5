/** `duet serve`: the browser page (search, classify, train live) on a local HTTP server. */

import { existingFolder, nonNegativeInt, parseOrHelp, stringFlag, UsageError, type Command } from "../args.js";
import { buildBrowserAssets } from "../../serve/bundle.js";
import { startServer } from "../../serve/server.js";

const USAGE = `usage: duet serve [--checkpoint C] [--images DIR] [--port P] [--host H] [--json]

Serves the Duet page on a local HTTP server until interrupted (Ctrl-C). The page runs the
model in the browser: Search (text to the nearest images, an image to its nearest captions),
Classify (zero-shot over labels you edit) and Train (the small default model, live, on
OpenMoji). Open the printed URL in a browser.

  --checkpoint C   the model Search and Classify use (a Duet or an open_clip folder);
                   without it only the Train tab works
  --images DIR     the images to search: every PNG and JPEG under DIR (default: OpenMoji's
                   test split, the emojis the demo model never saw)
  --port P         the port (default 8080; 0 picks a free one)
  --host H         the interface to bind (default 127.0.0.1, this machine only; anything
                   else exposes your files to the network)
  --json           print {"url"} as JSON once listening`;

export const serveCommand: Command = {
  summary: "serve the browser page: search, classify and train in a web page",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("serve", USAGE, args, io, {
      checkpoint: { type: "string" },
      images: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const checkpoint = stringFlag(values, "checkpoint");
    if (checkpoint !== undefined) existingFolder("serve", "checkpoint", checkpoint);
    const images = stringFlag(values, "images");
    if (images !== undefined) existingFolder("serve", "images", images);
    const port = nonNegativeInt("serve", "port", values["port"]) ?? 8080;
    if (port > 65535) throw new UsageError(`duet serve: --port must be in [0, 65535], got ${port}`);
    const host = stringFlag(values, "host") ?? "127.0.0.1";
    if (host === "") throw new UsageError("duet serve: --host is empty");

    const assets = await buildBrowserAssets();
    let running;
    try {
      running = await startServer({ checkpoint, images, host, port, assets, log: (line) => io.err(line) });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") throw new UsageError(`duet serve: port ${port} on ${host} is in use; pick another with --port (0 for any free one)`);
      if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new UsageError(`duet serve: cannot bind to --host ${host}: not an address of this machine`);
      throw error;
    }
    if (values["json"]) io.out(JSON.stringify({ url: running.url }));
    else io.out(`duet serve: open ${running.url} (Ctrl-C to stop)`);
    if (running.host !== "127.0.0.1" && running.host !== "localhost" && running.host !== "::1") {
      io.err(`duet serve: warning: listening on ${running.host}: other machines can read the checkpoint and images`);
    }
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        void running.close().then(resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    return 0;
  },
};
