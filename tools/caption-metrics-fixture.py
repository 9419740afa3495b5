#!/usr/bin/env python3
"""The captioning-metrics oracle: pycocoevalcap's BLEU, ROUGE-L and CIDEr-D on fixed captions.

Writes tests/fixtures/caption-metrics.json, which tests/vlm/caption-metrics.test.ts reads to
check Duet's metrics (packages/vlm/src/eval/caption-metrics*.ts) without Python at test time.

    python3 -m venv .cache/venv-coco
    .cache/venv-coco/bin/pip install numpy pycocoevalcap==1.2
    .cache/venv-coco/bin/python tools/caption-metrics-fixture.py

pycocoevalcap's PTBTokenizer needs Java and the Stanford CoreNLP jar; it is bypassed. The
captions are tokenized here by tokenize_caption below, a Python twin of Duet's
tokenizeCaption (the same rules, written again), and handed to Bleu(4), Rouge() and Cider()
already tokenized, as PTBTokenizer's output would be. The fixture keeps the raw strings and
the tokens, so the TypeScript test checks its tokenizer against these rules too.

If pycocoevalcap is not installed but its source tree is on PYTHONPATH, pass
--reference-version with what that tree is (it is recorded in the fixture as given).

Fixture layout:
  reference          {package, version, scorers}
  tokenizer_cases    [{text, tokens}]
  corpora            [{name, candidates_raw, references_raw, candidates, references,
                       bleu: [4 corpus scores], bleu_per_image: [per image: 4 scores],
                       rouge_l, rouge_l_per_image, cider_d, cider_d_per_image}]
  candidates/references hold the tokenized captions as pycocoevalcap received them: one
  string per caption, tokens joined by single spaces.
"""

import argparse
import contextlib
import importlib.metadata
import io
import json
import random
import re
from pathlib import Path

from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge
from pycocoevalcap.tokenizer.ptbtokenizer import PUNCTUATIONS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "caption-metrics.json"

# ---------------------------------------------------------------------------------------------
# The tokenizer twin: the rules of packages/vlm/src/eval/caption-metrics-tokenize.ts
# ---------------------------------------------------------------------------------------------

ALWAYS_ALONE = set('?!;"()[]{}`')
ALONE_UNLESS_NUMBER = set(",:")
CONTRACTIONS = ["n't", "'s", "'re", "'ve", "'ll", "'d", "'m"]
PUNCTUATION_CHARS = set(".,;:?!'\"`()[]{}-")
# JavaScript's \s, so both sides split on the same characters
WHITESPACE = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")

# every token of pycocoevalcap's PUNCTUATIONS list is punctuation-only here (the bracket
# escapes stand for the brackets themselves), so dropping punctuation-only tokens covers it
assert all(set(p) <= PUNCTUATION_CHARS or p in ("-LRB-", "-RRB-", "-LCB-", "-RCB-") for p in PUNCTUATIONS)


def is_digit(c):
    return c is not None and "0" <= c <= "9"


def is_letter_abbreviation(word):
    """u.s., e.g., a.m.: two or more single letters, each followed by a period."""
    if len(word) < 4 or len(word) % 2:
        return False
    return all(word[i].isalpha() and word[i + 1] == "." for i in range(0, len(word), 2))


def split_standalone(chunk):
    pieces, current, i = [], "", 0
    while i < len(chunk):
        c = chunk[i]
        prev = chunk[i - 1] if i > 0 else None
        nxt = chunk[i + 1] if i + 1 < len(chunk) else None
        if c == "-" and nxt == "-":
            if current:
                pieces.append(current)
            current = ""
            end = i
            while end < len(chunk) and chunk[end] == "-":
                end += 1
            pieces.append(chunk[i:end])
            i = end
            continue
        if c in ALWAYS_ALONE or (c in ALONE_UNLESS_NUMBER and not (is_digit(prev) and is_digit(nxt))):
            if current:
                pieces.append(current)
            current = ""
            pieces.append(c)
        else:
            current += c
        i += 1
    if current:
        pieces.append(current)
    return pieces


def split_piece(word):
    out = []
    if word not in CONTRACTIONS:
        start = len(word) - len(word.lstrip("'"))
        if 0 < start < len(word):
            out.append(word[:start])
            word = word[start:]
    trailing = ""
    if not is_letter_abbreviation(word):
        core = word.rstrip(".'")
        if core:
            trailing = word[len(core):]
            word = core
    if word == "cannot":
        out += ["can", "not"]
    else:
        clitic = next((c for c in CONTRACTIONS if len(word) > len(c) and word.endswith(c)), None)
        out += [word] if clitic is None else [word[: -len(clitic)], clitic]
    if trailing:
        out.append(trailing)
    return out


def tokenize_caption(text):
    text = text.lower().replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    tokens = []
    for chunk in WHITESPACE.split(text):
        if not chunk:
            continue
        for piece in split_standalone(chunk):
            tokens += [t for t in split_piece(piece) if not set(t) <= PUNCTUATION_CHARS]
    return tokens


# ---------------------------------------------------------------------------------------------
# The captions
# ---------------------------------------------------------------------------------------------

TOKENIZER_CASES = [
    "A dog runs on the grass.",
    "Grinning face, smile",
    "laugh: grinning face",
    "O button (blood type)",
    "Japanese \u201cfree of charge\u201d button",
    "man\u2019s shoe",
    "The dog's ball isn't red!",
    "They're here; we've gone, they'll see, I'd go, I'm sure.",
    "I cannot see the U.S. flag.",
    "e.g. a cat, i.e. not a dog...",
    "flag: St. Kitts & Nevis",
    "keycap: #",
    "keycap: *",
    "3.5 stars, 1,000 votes at 10:30",
    "a well-known t-shirt -- not a coat",
    "'quoted' words and dogs' bones",
    "``PTB quotes'' and `single' ones",
    "[brackets] {braces} (parens)",
    "what?! no!!",
    "\u00c5land Islands C\u00d4TE D\u2019IVOIRE",
    "  tabs\tand\nnewlines\u00a0and nbsp  ",
    "",
    "...",
    " - -- --- ",
    "50% off $5 and/or more",
    "rock 'n' roll",
    "don't.",
    "a. b. c.",
]

EDGE_CASES = [
    # (candidate, references): hand-written, one image each
    ("a brown dog runs on the green grass", ["a brown dog runs on the green grass"]),  # perfect match, one reference
    ("", ["a cat sits on a mat", "a small cat on a mat"]),  # empty candidate
    ("a cat sits on a mat near a window in the warm afternoon sun today", ["a cat on a mat", "a cat sits"]),  # longer than all references
    ("dog dog dog dog dog dog", ["a dog and another dog", "dog"]),  # repeated words: clipping
    ("cat", ["a cat", "the cat is sleeping"]),  # one token: no bigrams
    ("the cat", ["a cat sleeping", "the cat is sleeping"]),  # two tokens
    ("a red car", ["a red car parked outside", "red car"]),  # three tokens: no 4-grams
    ("zebra xylophone quartz", ["a man riding a horse", "a person on a horse"]),  # nothing shared
    ("one two three four five", ["one two three four", "one two three four five six"]),  # closest length tie: 4 and 6
    ("", ["!", "a dog"]),  # empty candidate against a reference that tokenizes to nothing
    ("a dog", ["...", "a dog"]),  # an empty reference beside a match
    ("A Dog, Running!", ["a dog running"]),  # case and punctuation only
    ("grinning face, smile", ["grinning face", "an emoji of grinning face, grin", "laugh: grinning face"]),
    ("man\u2019s shoe", ["man's shoe", "a drawing of man's shoe, clothing"]),
    ("the dog isn't running", ["the dog is not running", "a dog isn't running"]),
    ("a man riding a horse on a beach", ["a man rides a horse on the beach", "a person riding a horse", "horse riding on a sandy beach", "a man on a horse by the sea", "a rider and a horse near the ocean"]),
    ("a a a a", ["a", "a a"]),
    ("red", ["red"]),  # perfect match shorter than the 4-grams
    ("a plate of food on a table", ["a plate of food on a table", "food on a plate", "a table with a plate of food"]),
    ("two cats on a sofa two cats on a sofa", ["two cats on a sofa"]),
]

VOCABULARY = "a the dog cat red blue runs sits on under grass mat small big".split()


def random_caption(rng, lo, hi):
    return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(lo, hi)))


def random_images(rng, count):
    images = []
    for _ in range(count):
        references = [random_caption(rng, 1, 9) for _ in range(rng.randint(1, 5))]
        candidate = random_caption(rng, 0, 10) if rng.random() < 0.5 else references[0]
        if rng.random() < 0.3:
            candidate = candidate.capitalize() + "."
        images.append((candidate, references))
    return images


def build_corpora():
    rng = random.Random(20240616)
    edge = list(EDGE_CASES) + random_images(rng, 30 - len(EDGE_CASES))
    return [
        ("edge-cases", edge),
        ("random", random_images(rng, 60)),
        ("single-image", [("a dog on the grass", ["a dog on grass", "the dog on the grass"])]),
        ("two-images", [("a cat", ["a cat"]), ("a dog runs", ["the dog runs fast", "a dog"])]),
    ]


# ---------------------------------------------------------------------------------------------
# Scoring with pycocoevalcap
# ---------------------------------------------------------------------------------------------


def score(images):
    res = {i: [" ".join(tokenize_caption(c))] for i, (c, _) in enumerate(images)}
    gts = {i: [" ".join(tokenize_caption(r)) for r in refs] for i, (_, refs) in enumerate(images)}
    with contextlib.redirect_stdout(io.StringIO()):  # Bleu prints its totals
        bleu, bleu_lists = Bleu(4).compute_score(gts, res)
    rouge, rouge_list = Rouge().compute_score(gts, res)
    cider, cider_list = Cider().compute_score(gts, res)
    ids = list(range(len(images)))
    return {
        "candidates_raw": [c for c, _ in images],
        "references_raw": [refs for _, refs in images],
        "candidates": [res[i][0] for i in ids],
        "references": [gts[i] for i in ids],
        "bleu": [float(b) for b in bleu],
        "bleu_per_image": [[float(bleu_lists[k][i]) for k in range(4)] for i in ids],
        "rouge_l": float(rouge),
        "rouge_l_per_image": [float(x) for x in rouge_list],
        "cider_d": float(cider),
        "cider_d_per_image": [float(x) for x in cider_list],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-version", help="what pycocoevalcap is, when it is a source tree without package metadata")
    args = parser.parse_args()
    try:
        version = importlib.metadata.version("pycocoevalcap")
    except importlib.metadata.PackageNotFoundError:
        if not args.reference_version:
            parser.error("pycocoevalcap has no package metadata (a source tree?): say what it is with --reference-version")
        version = args.reference_version
    fixture = {
        "reference": {
            "package": "pycocoevalcap",
            "version": version,
            "scorers": "Bleu(4).compute_score (option closest), Rouge().compute_score, Cider().compute_score (n 4, sigma 6)",
            "tokenizer": "PTBTokenizer bypassed (needs Java and CoreNLP): captions tokenized by tokenize_caption in this script",
        },
        "tokenizer_cases": [{"text": t, "tokens": tokenize_caption(t)} for t in TOKENIZER_CASES],
        "corpora": [{"name": name, **score(images)} for name, images in build_corpora()],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(fixture['corpora'])} corpora, {len(fixture['tokenizer_cases'])} tokenizer cases")


if __name__ == "__main__":
    main()
