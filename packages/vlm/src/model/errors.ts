/**
 * Errors of the model layer: configs, towers, checkpoints. The message names the operation,
 * the file or key when there is one, what was expected and what came:
 *
 *   loadCheckpoint: runs/demo/checkpoint/config.json: vision_cfg.width = 64, but
 *   visual.conv1.weight in model.safetensors is [32, 3, 8, 8] (width 32)
 *
 * The CLI turns a ModelError into exit status 2 and this one line on stderr.
 */

export class ModelError extends Error {
  readonly op: string;
  readonly source: string | undefined;

  constructor(op: string, detail: string, source?: string, options?: { cause?: unknown }) {
    super(`${op}: ${source === undefined ? "" : `${source}: `}${detail}`, options);
    this.name = "ModelError";
    this.op = op;
    this.source = source;
  }
}
