/**
 * A learned Duet BPE as a Hugging Face `tokenizers` file, and back: how a model trained on its own
 * vocabulary crosses to open_clip (DESIGN §4, `duet export --to open_clip`) and returns.
 *
 * open_clip 3.3.0 loads a tokenizer named by `text_cfg.hf_tokenizer_name` as its HFTokenizer:
 *
 *   texts -> clean_fn(text)                       tokenizer_kwargs.clean = "lower": ftfy, html
 *                                                 unescape twice, whitespace folding, lower-case —
 *                                                 exactly ./clean.ts, so tokenizer.json has no normalizer
 *         -> AutoTokenizer(texts, max_length=context_length, padding="max_length", truncation=True)
 *         -> ids where ids == sep_token_id become 0   tokenizer_kwargs.strip_sep_token = true
 *
 * and tokenizer.json reproduces ./bpe.ts inside that call:
 *
 *   added tokens     <start_of_text>, <end_of_text> (ids V-2, V-1, as in Duet: a literal one in a
 *                    caption is the special token), and <PAD> (id V, outside the model's vocabulary)
 *   pre_tokenizer    Split(CLIP's regex of ./pretokenize.ts, keep the matches, drop the rest),
 *                    then ByteLevel without its own regex (./byte-level.ts's alphabet)
 *   model            BPE over Duet's vocabulary, end_of_word_suffix "</w>": ids 0..511 the byte
 *                    symbols, then one per merge, then the special tokens, as ./bpe.ts lays them out
 *   post_processor   <start_of_text> $A <end_of_text>; truncation keeps room for both, so
 *                    end-of-text stays last as in BpeTokenizer.tokenize
 *
 * Padding: transformers pads with pad_token_id and cannot pad with id 0, which is the byte symbol
 * "!" (declaring "!" a special token would cut every "!" out of the text first). So the pad token
 * is <PAD>, also declared the sep token, and open_clip's strip_sep_token turns it into 0: the ids
 * are Duet's, zeros included. Upper-case letters keep it from ever matching cleaned
 * (lower-cased) text.
 *
 * Known difference: HF finds an added token anywhere in the text, Duet only where CLIP's regex
 * starts a piece, so "<end_of_text>" glued after punctuation ("!<end_of_text>") becomes the
 * special token in HF and bytes in Duet. The regex's Unicode classes come from Oniguruma's tables in
 * HF and from the JavaScript engine's here; characters assigned since Unicode 15 may split apart.
 */

import { readRegularFile } from "@duet/nn/node";
import { jsonDepthProblem } from "../data/json-depth.js";
import { BpeTokenizer, END_OF_TEXT, END_OF_WORD, SPECIAL_TOKENS, START_OF_TEXT, findMergeProblem, type Merge } from "./bpe.js";
import { preTokenizer } from "./pretokenize.js";
import { TokenizerFileError, tokenizerFromJson, TOKENIZER_FORMAT } from "./index.js";

/** The pad token of an exported HF tokenizer (see the header: turned into 0 by open_clip). */
export const HF_PAD_TOKEN = "<PAD>";
/** What open_clip's HFTokenizer must be given (text_cfg.tokenizer_kwargs) to reproduce Duet's ids. */
export const HF_TOKENIZER_KWARGS: Readonly<{ clean: "lower"; strip_sep_token: true }> = { clean: "lower", strip_sep_token: true };

/**
 * CLIP's pre-tokenising regex (./pretokenize.ts) in Oniguruma's syntax, which `tokenizers` uses:
 * the same alternatives and classes, every \uXXXX, \u{X} and \xXX written \x{X} (Oniguruma reads a
 * bare \x85 as one byte of UTF-8, not as U+0085).
 */
export function onigPreTokenizerPattern(): string {
  return preTokenizer(SPECIAL_TOKENS)
    .source.replace(/\\u\{([0-9a-fA-F]+)\}/g, "\\x{$1}")
    .replace(/\\u([0-9a-fA-F]{4})/g, "\\x{$1}")
    .replace(/\\x([0-9a-fA-F]{2})/g, "\\x{$1}");
}

function addedToken(id: number, content: string): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** The tokenizer.json object (tokenizers' serialisation, version "1.0") of a Duet BPE. */
export function hfTokenizerJson(tokenizer: BpeTokenizer): Record<string, unknown> {
  const { sotTokenId: sot, eotTokenId: eot, vocabSize } = tokenizer;
  const vocab: Record<string, number> = {};
  tokenizer.vocab.forEach((token, id) => (vocab[token] = id));
  const special = (token: string) => ({ SpecialToken: { id: token, type_id: 0 } });
  const sequence = (id: "A" | "B", typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [addedToken(sot, START_OF_TEXT), addedToken(eot, END_OF_TEXT), addedToken(vocabSize, HF_PAD_TOKEN)],
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: onigPreTokenizerPattern() }, behavior: "Removed", invert: true },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "TemplateProcessing",
      single: [special(START_OF_TEXT), sequence("A", 0), special(END_OF_TEXT)],
      pair: [special(START_OF_TEXT), sequence("A", 0), special(END_OF_TEXT), sequence("B", 1), special(END_OF_TEXT)],
      special_tokens: {
        [START_OF_TEXT]: { id: START_OF_TEXT, ids: [sot], tokens: [START_OF_TEXT] },
        [END_OF_TEXT]: { id: END_OF_TEXT, ids: [eot], tokens: [END_OF_TEXT] },
      },
    },
    // bytes back to text, then "</w>" to a space: BpeTokenizer.decode
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
        { type: "Replace", pattern: { String: END_OF_WORD }, content: " " },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: END_OF_WORD,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: tokenizer.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** tokenizer_config.json: what AutoTokenizer.from_pretrained(DIR) reads beside tokenizer.json. */
export function hfTokenizerConfig(tokenizer: BpeTokenizer, contextLength: number): Record<string, unknown> {
  const decoder = (id: number, content: string) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }];
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    model_max_length: contextLength,
    bos_token: START_OF_TEXT,
    eos_token: END_OF_TEXT,
    pad_token: HF_PAD_TOKEN,
    sep_token: HF_PAD_TOKEN,
    clean_up_tokenization_spaces: false,
    added_tokens_decoder: Object.fromEntries([
      decoder(tokenizer.sotTokenId, START_OF_TEXT),
      decoder(tokenizer.eotTokenId, END_OF_TEXT),
      decoder(tokenizer.vocabSize, HF_PAD_TOKEN),
    ]),
  };
}

/** special_tokens_map.json (older transformers read the special tokens from here). */
export function hfSpecialTokensMap(): Record<string, string> {
  return { bos_token: START_OF_TEXT, eos_token: END_OF_TEXT, pad_token: HF_PAD_TOKEN, sep_token: HF_PAD_TOKEN };
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function object(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Whether parsed JSON is a `tokenizers` file (rather than Duet's own tokenizer.json). */
export function isHfTokenizerJson(json: unknown): boolean {
  const record = object(json);
  return record !== undefined && object(record["model"]) !== undefined && typeof record["version"] === "string";
}

/**
 * The Duet BPE of a `tokenizers` file, if it is one that Duet's pipeline reproduces: the file
 * `hfTokenizerJson` writes, or the same after transformers' save_pretrained (which may rewrite
 * merges as pairs and keeps the rest). Anything else — another normaliser, pre-tokeniser or
 * vocabulary layout — is refused by name rather than tokenised differently.
 */
export function hfTokenizerFromJson(json: unknown, source: string, contextLength?: number): BpeTokenizer {
  const fail = (problem: string): never => {
    throw new TokenizerFileError(source, `${problem} (Duet reads the Hugging Face tokenizers files that duet export writes)`);
  };
  const record = object(json) ?? fail(`expected a JSON object, got ${show(json)}`);
  const model = object(record["model"]) ?? fail(`"model" must be an object`);
  if (model["type"] !== "BPE") fail(`model.type must be "BPE", got ${show(model["type"])}`);
  if (model["end_of_word_suffix"] !== END_OF_WORD) fail(`model.end_of_word_suffix must be "${END_OF_WORD}", got ${show(model["end_of_word_suffix"])}`);
  if (model["continuing_subword_prefix"] !== null && model["continuing_subword_prefix"] !== undefined && model["continuing_subword_prefix"] !== "") {
    fail(`model.continuing_subword_prefix must be empty, got ${show(model["continuing_subword_prefix"])}`);
  }
  if (model["byte_fallback"] === true || model["ignore_merges"] === true) fail(`model.byte_fallback and model.ignore_merges must be false`);
  if (model["dropout"] !== null && model["dropout"] !== undefined && model["dropout"] !== 0) fail(`model.dropout must be null, got ${show(model["dropout"])}`);
  if (record["normalizer"] !== null && record["normalizer"] !== undefined) fail(`"normalizer" must be null (open_clip cleans the text), got ${show(record["normalizer"])}`);
  checkPreTokenizer(record["pre_tokenizer"], fail);
  const lines = Array.isArray(model["merges"]) ? (model["merges"] as unknown[]) : fail(`model.merges must be an array`);
  const merges: Merge[] = lines.map((line, i) => {
    const parts = typeof line === "string" ? line.split(" ") : Array.isArray(line) ? line : [];
    if (parts.length !== 2 || parts.some((p) => typeof p !== "string")) fail(`model.merges[${i}] must be "a b" or ["a", "b"], got ${show(line)}`);
    return [parts[0] as string, parts[1] as string];
  });
  const problem = findMergeProblem(merges);
  if (problem !== null) fail(`model.merges[${problem.index}]: ${problem.message}`);
  const tokenizer = new BpeTokenizer(merges, contextLength === undefined ? {} : { contextLength });
  const vocab = object(model["vocab"]) ?? fail(`model.vocab must be an object of token -> id`);
  if (Object.keys(vocab).length !== tokenizer.vocabSize) {
    fail(`model.vocab has ${Object.keys(vocab).length} tokens, but ${merges.length} merges make Duet's ${tokenizer.vocabSize} (512 byte symbols, the merges, 2 special tokens)`);
  }
  tokenizer.vocab.forEach((token, id) => {
    if (vocab[token] !== id) fail(`model.vocab[${show(token)}] is ${show(vocab[token])}, expected ${id}: not Duet's id layout`);
  });
  checkPostProcessor(record["post_processor"], tokenizer, fail);
  return tokenizer;
}

function checkPreTokenizer(value: unknown, fail: (problem: string) => never): void {
  const expected = onigPreTokenizerPattern();
  const pre = object(value);
  const steps = pre?.["type"] === "Sequence" && Array.isArray(pre["pretokenizers"]) ? (pre["pretokenizers"] as unknown[]).map(object) : [];
  const [split, byteLevel] = steps;
  const ok =
    steps.length === 2 &&
    split?.["type"] === "Split" &&
    object(split["pattern"])?.["Regex"] === expected &&
    split["behavior"] === "Removed" &&
    split["invert"] === true &&
    byteLevel?.["type"] === "ByteLevel" &&
    byteLevel["use_regex"] === false &&
    byteLevel["add_prefix_space"] === false;
  if (!ok) fail(`"pre_tokenizer" must be CLIP's regex split then ByteLevel(use_regex=false), got ${show(value)}`);
}

function checkPostProcessor(value: unknown, tokenizer: BpeTokenizer, fail: (problem: string) => never): void {
  const post = object(value);
  const single = Array.isArray(post?.["single"]) ? (post["single"] as unknown[]).map(object) : [];
  const specialId = (step: Record<string, unknown> | undefined) => object(step?.["SpecialToken"])?.["id"];
  const ok =
    post?.["type"] === "TemplateProcessing" &&
    single.length === 3 &&
    specialId(single[0]) === START_OF_TEXT &&
    object(single[1]?.["Sequence"])?.["id"] === "A" &&
    specialId(single[2]) === END_OF_TEXT;
  if (!ok) fail(`"post_processor" must be the template ${START_OF_TEXT} $A ${END_OF_TEXT}, got ${show(value)}`);
  const ids = object(post!["special_tokens"]);
  for (const [token, id] of [[START_OF_TEXT, tokenizer.sotTokenId], [END_OF_TEXT, tokenizer.eotTokenId]] as const) {
    const entry = object(ids?.[token]);
    if (!Array.isArray(entry?.["ids"]) || (entry["ids"] as unknown[]).length !== 1 || (entry["ids"] as unknown[])[0] !== id) {
      fail(`post_processor.special_tokens[${show(token)}].ids must be [${id}], got ${show(entry?.["ids"])}`);
    }
  }
}

/** A tokenizer.json in either format: Duet's own ("format": "duet-clip-bpe") or a `tokenizers` file. */
export function loadAnyTokenizerFile(path: string, contextLength?: number): BpeTokenizer {
  let json: unknown;
  try {
    json = JSON.parse(readRegularFile(path).toString("utf8"));
  } catch (error) {
    throw new TokenizerFileError(path, `cannot read the tokenizer file as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const tooDeep = jsonDepthProblem(json);
  if (tooDeep !== null) throw new TokenizerFileError(path, `the JSON is ${tooDeep}`);
  if (isHfTokenizerJson(json)) return hfTokenizerFromJson(json, path, contextLength);
  if (object(json)?.["format"] !== TOKENIZER_FORMAT) {
    throw new TokenizerFileError(path, `neither Duet's tokenizer.json ("format": "${TOKENIZER_FORMAT}") nor a Hugging Face tokenizers file (with "model" and "version")`);
  }
  return tokenizerFromJson(json, path);
}
