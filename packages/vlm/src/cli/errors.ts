/**
 * Which failures are the user's input and which are Duet's bugs. A wrong flag, a missing file
 * or a malformed manifest, image, checkpoint or tokenizer is the user's to fix: exit status 2
 * and the error's own message, which names the file and the problem, on one line. Anything
 * else is a bug in Duet: exit status 1, with the stack when DUET_DEBUG is set.
 */

import { SafetensorsError, StateDictError } from "@duet/nn";
import { DataError } from "../data/errors.js";
import { ImageError } from "../image/image.js";
import { ModelError } from "../model/errors.js";
import { TokenizerFileError, VocabFileError } from "../tokenizer/index.js";
import { TrainAbortedError, TrainError } from "../train/errors.js";
import { UsageError } from "./args.js";

const INPUT_ERRORS = [UsageError, DataError, ImageError, ModelError, SafetensorsError, StateDictError, TokenizerFileError, VocabFileError, TrainError];

/**
 * Whether `error` is the user's input to fix. A TrainError is a bad training option, except a
 * TrainAbortedError: a run that diverged is no input mistake, so it exits 1 like a failure.
 */
export function isInputError(error: unknown): error is Error {
  if (error instanceof TrainAbortedError) return false;
  return INPUT_ERRORS.some((type) => error instanceof type);
}

/** A message on one line: stderr must carry exactly one line for a bad input. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, "; ").trim();
}

/**
 * Characters a terminal acts on rather than shows: C0 and C1 controls (an escape sequence can
 * move the cursor, retitle the window or clear the screen), DEL, the line and paragraph
 * separators, and the bidirectional overrides and isolates (which can make a name read as
 * another). Error messages quote paths and bytes of bad files, so any of these may arrive.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED_ESCAPES: Readonly<Record<string, string>> = { "\t": "\\t", "\r": "\\r", "\n": "\\n" };

/** `message` with every UNPRINTABLE character written as an escape: \x1b, \r, \u202e. */
export function escapeControl(message: string): string {
  return message.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return NAMED_ESCAPES[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
  });
}

/** The line to print for an error, with the `duet` prefix a user can grep for; one line, every control character escaped. */
export function describeError(error: unknown): string {
  if (error instanceof UsageError) return escapeControl(oneLine(error.message));
  const message = error instanceof Error ? error.message : String(error);
  return escapeControl(`duet: ${oneLine(message)}`);
}
