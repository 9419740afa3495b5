/**
 * `duet tokenize`: the token ids of texts, one row per text, as the model sees them
 * (start-of-text, tokens, end-of-text, padding to the context length).
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readRegularFile } from "@duet/nn/node";
import { jsonDepthProblem } from "../../data/json-depth.js";
import { loadAnyTokenizerFile } from "../../tokenizer/hf-tokenizer.js";
import { clipTokenizer, DEFAULT_CONTEXT_LENGTH, type Tokenizer } from "../../tokenizer/index.js";
import { MAX_CONTEXT_LENGTH } from "../../tokenizer/tokenizer-json.js";
import { parse, positiveInt, UsageError, type Command } from "../args.js";

const USAGE = `usage: duet tokenize [--context N] [--checkpoint C] [--input F] [--json] TEXT...

Prints the token ids of each TEXT, one row per text: <start_of_text>, the tokens,
<end_of_text>, then zeros up to the context length (a long text is cut so that
<end_of_text> stays last). CLIP's BPE tokenizer, unless the checkpoint has its own.

  --context N      context length, at most ${MAX_CONTEXT_LENGTH} (default: the checkpoint's, else 77)
  --checkpoint C   a Duet or open_clip checkpoint folder: use its tokenizer and context
  --input F        read a JSON array of strings from file F ("-" for stdin), for texts
                   no shell can pass; combined with any TEXT arguments, inputs first
  --json           print {"tokenizer", "context_length", "ids": [[...], ...]} as JSON`;

/** The tokenizer and context length a checkpoint folder asks for. */
export function checkpointTokenizer(dir: string, command: string): { tokenizer: Tokenizer; name: string; contextLength: number } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`duet ${command}: checkpoint folder "${dir}" does not exist`);
  let contextLength = DEFAULT_CONTEXT_LENGTH;
  for (const [file, pick] of [
    ["config.json", (j: Record<string, unknown>) => j["text_cfg"]],
    ["open_clip_config.json", (j: Record<string, unknown>) => (j["model_cfg"] as Record<string, unknown> | undefined)?.["text_cfg"]],
  ] as const) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    let text: string;
    try {
      text = readRegularFile(path).toString("utf8");
    } catch (error) {
      throw new UsageError(`duet ${command}: ${path}: cannot read the file: ${(error as Error).message}`);
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`duet ${command}: ${path} is not valid JSON: ${(error as Error).message}`);
    }
    const tooDeep = jsonDepthProblem(json);
    if (tooDeep !== null) throw new UsageError(`duet ${command}: ${path}: the config is ${tooDeep}`);
    const textCfg = pick(json) as Record<string, unknown> | undefined;
    const n = textCfg?.["context_length"];
    if (n !== undefined) {
      if (!Number.isInteger(n) || (n as number) < 2 || (n as number) > MAX_CONTEXT_LENGTH) {
        throw new UsageError(`duet ${command}: ${path}: text_cfg.context_length must be an integer in [2, ${MAX_CONTEXT_LENGTH}], got ${JSON.stringify(n)}`);
      }
      contextLength = n as number;
    }
    break;
  }
  const own = join(dir, "tokenizer.json");
  if (existsSync(own)) {
    try {
      return { tokenizer: loadAnyTokenizerFile(own, contextLength), name: own, contextLength };
    } catch (error) {
      throw new UsageError(`duet ${command}: ${(error as Error).message}`);
    }
  }
  return { tokenizer: clipTokenizer(), name: "clip", contextLength };
}

function readInputTexts(path: string): string[] {
  let text: string;
  try {
    text = path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`duet tokenize: cannot read --input ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`duet tokenize: --input ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(json) || !json.every((s) => typeof s === "string")) {
    throw new UsageError(`duet tokenize: --input ${path} must hold a JSON array of strings`);
  }
  return json as string[];
}

export const tokenizeCommand: Command = {
  summary: "print the token ids of texts",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parse("tokenize", args, {
      context: { type: "string" },
      checkpoint: { type: "string" },
      input: { type: "string" },
      json: { type: "boolean" },
    }, true);
    if (values["help"]) {
      io.out(USAGE);
      return 0;
    }
    const source = values["checkpoint"] !== undefined
      ? checkpointTokenizer(values["checkpoint"] as string, "tokenize")
      : { tokenizer: clipTokenizer(), name: "clip", contextLength: DEFAULT_CONTEXT_LENGTH };
    const contextLength = positiveInt("tokenize", "context", values["context"], source.contextLength);
    if (contextLength < 2) throw new UsageError(`duet tokenize: --context must be at least 2 (start and end of text), got ${contextLength}`);
    if (contextLength > MAX_CONTEXT_LENGTH) {
      throw new UsageError(`duet tokenize: --context must be at most ${MAX_CONTEXT_LENGTH} (no text tower attends further; each row is context × 4 bytes), got ${contextLength}`);
    }
    const texts = [...(values["input"] !== undefined ? readInputTexts(values["input"] as string) : []), ...positionals];
    if (texts.length === 0) throw new UsageError(`duet tokenize: give at least one TEXT or --input F; see duet tokenize --help`);
    const ids = source.tokenizer.tokenize(texts, contextLength);
    const rows: number[][] = [];
    for (let i = 0; i < texts.length; i++) rows.push(Array.from(ids.select(0, i).contiguousData()));
    if (values["json"]) io.out(JSON.stringify({ tokenizer: source.name, context_length: contextLength, ids: rows }));
    else for (const row of rows) io.out(row.join(" "));
    return 0;
  },
};
