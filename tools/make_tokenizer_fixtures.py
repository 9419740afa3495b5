"""open_clip's CLIP tokenizer as an oracle for Duet's: ids, decodes, cleaned text, and the
Unicode tables the port depends on.

Writes tests/fixtures/tokenizer/open_clip.json, read by tests/vlm/tokenizer*.test.ts, which never
need Python. Set up the environment once (a local mirror serves pip):

    python3 -m venv .cache/venv-tok
    .cache/venv-tok/bin/pip install torch==2.13.0
    .cache/venv-tok/bin/pip install --no-deps open_clip_torch==3.3.0
    .cache/venv-tok/bin/pip install ftfy regex numpy
    .cache/venv-tok/bin/python tools/make_tokenizer_fixtures.py

The fixture holds:
    versions         python, unicodedata, open_clip, ftfy, regex, torch
    cases            {text, clean, encode, ids, decode}: clean is open_clip's clean_fn (ftfy,
                     html.unescape twice, whitespace folding, lower), encode the untruncated ids,
                     ids the row of open_clip.tokenize (context 77), decode the decode of encode
    contexts         {text, context_length, ids}: truncation and padding at other lengths
    decode_cases     {ids, text}: decodes of id sequences that are not valid UTF-8 on their own
    ftfy_cases       {text, fixed}: ftfy.fix_text alone
    unescape_cases   {text, once}: html.unescape alone
    unicode          per-code-point facts: the pre-tokeniser class of every code point (run-length
                     encoded), every code point that str.lower() changes, str.isspace()
"""

import html
import json
import os
import platform
import random
import sys
import unicodedata

import importlib.util

import ftfy
import regex
import torch


def load_open_clip_tokenizer():
    """open_clip.tokenizer without the package's __init__, which imports torchvision (whose
    wheels on the local mirror do not load against torch 2.13.0+cpu); the tokenizer module
    itself needs only ftfy, regex, numpy and torch."""
    spec = importlib.util.find_spec("open_clip")
    folder = os.path.dirname(spec.origin)
    modules = {}
    for name in ("version", "tokenizer"):
        module_spec = importlib.util.spec_from_file_location(f"open_clip_{name}", os.path.join(folder, f"{name}.py"))
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        modules[name] = module
    return modules["tokenizer"], modules["version"].__version__


open_clip_tokenizer, OPEN_CLIP_VERSION = load_open_clip_tokenizer()

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "tokenizer", "open_clip.json")

LONG_CAPTION = (
    "A very long caption about a red fox jumping over the lazy dog near the river bank, "
    "while three children in yellow raincoats watch from the wooden bridge and a heron "
    "stands motionless in the reeds; the sky is grey, the water is brown, and somewhere "
    "behind the willow trees a dog barks twice before the rain begins again in earnest."
)

CASES = [
    # plain captions, case, contractions
    "a photo of a cat",
    "A Photo Of A DOG",
    "a diagram",
    "It's a dog's life, isn't it? We've done it; they'll see; I'm sure you'd agree.",
    "IT'S LOUD, THEY'RE HERE",
    "don't won't can't shan't y'all ma'am o'clock",
    "it'ſ the long s",
    "rock 'n' roll 'tis 'twas",
    # numbers
    "1234567890",
    "3.14159 and 2,718 and 1e-10 and -42",
    "the year 2024 had 366 days",
    "\u0661\u0662\u0663 \u0967\u0968\u0969 \u2460\u2461 \u00bd \u2153 \u2167 \u00b2",
    # punctuation runs
    "!!! ??? ... --- ((())) [[]] {{}} ###",
    "hello,world;foo:bar/baz\\qux|quux",
    "email@example.com https://example.org/path?q=1&r=2#frag",
    "$100 \u20ac50 \u00a330 \u00a5100 \u20b9200 50% #1 @user",
    "\u00bfQu\u00e9? \u00a1S\u00ed! \u00abguillemets\u00bb \u2039single\u203a",
    # whitespace runs
    "   leading and trailing   ",
    "tabs\tand\nnewlines\r\nand\u00a0nbsp\u2003em\u3000ideographic",
    "many     spaces     between",
    "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85",
    "zero\u200bwidth\u200cnon\u200djoiner\u2060word\ufeffbom",
    "",
    "   ",
    "\n",
    # Latin with diacritics, special casing
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 co\u00f6perate",
    "cafe\u0301 (decomposed e + combining acute)",
    "Stra\u00dfe STRASSE \u1e9e",
    "\u0130stanbul \u0131\u015f\u0131k I\u0307",
    "\u0391\u0398\u0397\u039d\u0391 \u039f\u0394\u039f\u03a3 \u03a3\u03a3 \u03c3\u03c2",
    "\u01c5 \u01c8 \u01cb \u01f2 titlecase digraphs",
    "\u0345 ypogegrammeni \u1fb3 \u1fbc",
    "\u212a kelvin \u212b angstrom \u2126 ohm",
    "\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33 \uff11\uff12\uff13",
    "\ufb01nancial \ufb02uffy \ufb03ce \u0133sselmeer",
    # other scripts
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0401\u0436\u0438\u043a",
    "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u03ba\u03cc\u03c3\u03bc\u03b5",
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a",
    "\u10d2\u10d0\u10db\u10d0\u10e0\u10ef\u10dd\u10d1\u10d0 \u0532\u0561\u0580\u0565\u0582",
    "\u1200\u1208\u12cd \u13a0\u13a1 \u1780\u17d2\u1798\u17c2\u179a",
    "\u0bb5\u0ba3\u0b95\u0bcd\u0b95\u0bae\u0bcd \u0c28\u0c2e\u0c38\u0c4d\u0c15\u0c3e\u0c30\u0c02",
    # CJK
    "\u4e00\u53ea\u732b\u5750\u5728\u7a97\u53f0\u4e0a",
    "\u732b\u304c\u7a93\u306e\u305d\u3070\u306b\u5ea7\u3063\u3066\u3044\u308b\u3002\u30ab\u30bf\u30ab\u30ca",
    "\uff76\uff80\uff76\uff85 halfwidth katakana \uff9e\uff9f",
    "\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4",
    "\U00020000\U0002a6d6 extension B",
    # emoji
    "I love \U0001f355 and \U0001f37a!",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 family",
    "\U0001f44d\U0001f3fb\U0001f44d\U0001f3fc\U0001f44d\U0001f3fd\U0001f44d\U0001f3fe\U0001f44d\U0001f3ff",
    "\U0001f1ef\U0001f1f5 \U0001f1fa\U0001f1f8 flags",
    "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f wales",
    "\u2764\ufe0f \u263a \u2714 \u00a9 \u00ae \u2122",
    "\U0001f9d1\U0001f3fd\u200d\U0001f680 astronaut",
    "kaomoji \u00af\\_(\u30c4)_/\u00af (\u256f\u00b0\u25a1\u00b0)\u256f\ufe35 \u253b\u2501\u253b",
    # HTML entities, incl. double escaped
    "Tom &amp; Jerry",
    "&amp;amp;",
    "&amp;amp;amp;amp;",
    "&lt;b&gt;bold&lt;/b&gt;",
    "<b>Tom &amp; Jerry</b> &amp;amp;",
    "&quot;quoted&quot; &apos;single&apos; &#39;num&#39;",
    "&nbsp;&nbsp;spaced&nbsp;out",
    "&eacute;t&eacute; &EACUTE;T&EACUTE; P&EACUTE;REZ BUNDESSTRA&SZLIG;E",
    "&#x1F600; &#128512; &#X263A; &#65;&#66;&#67",
    "&#0; &#x110000; &#xD800; &#128; &#150; &#x85; &#11; &#65534;",
    "&notin; &notit; &not &amp &ampx &copy2024 AT&T",
    "&#59; &#x3B; &#xZZ; &# &#; &;",
    "&hellip; &mdash; &ndash; &lsquo;x&rsquo; &ldquo;y&rdquo;",
    "&Jscr;ohn &HilbertSpace;ancock &checkmark; &NewLine;x",
    # quotes, ftfy fixes
    "\u201ccurly\u201d \u2018quotes\u2019 \u201elow\u201f \u02bcmodifier",
    "\x1b[36;44mcolored\x1b[0m text",
    "control\x00chars\x07here\x7f and\u206a\ufff9\ufffc",
    "c1 \x80 \x93quoted\x94 \x85",
    "surrogate \udc00 alone and \ud83d\udca9 paired",
    "line\u2028separator\u2029paragraph",
    # mojibake
    "caf\u00c3\u00a9",
    "The Mona Lisa doesn\u00e2\u20ac\u2122t have eyebrows.",
    "\u00e2\u20ac\u0153mismatched quotes\u00e2\u20ac\x9d",
    "\u00e2\u20ac\u0153lossy quotes\u00e2\u20ac\ufffd",
    "voil\u00c3 le travail",
    "\u00c3 la mode",
    "\u00c3\u00a0 la mode",
    "s\u00c3\u00b3 isso",
    "\u00e2\u0153\u201d No problems",
    "&macr;\\_(\u00e3\x83\x84)_/&macr;",
    "\u00d0\u0178\u00d1\u20ac\u00d0\u00b8\u00d0\u00b2\u00d0\u00b5\u00d1\u201a",
    "\u0420\u045f\u0421\u0402\u0420\u0451\u0420\u0406\u0420\u00b5\u0421\u201a",
    "\u201a\u00c4\u00fa macroman quotes \u201a\u00c4\u00f9",
    "\u00f0\u0178\u02dc\u20ac emoji mojibake",
    "Hello \u00f0\u0178\u02dc\u20ac and caf\u00c3\u00a9 mixed with real caf\u00e9",
    "\u00c3\u00a2\u00e2\u201a\u00ac\u00c5\u201c double mojibake",
    "\u00c2\u00a9 2024 \u00c2\u00bd",
    "na\u00efve caf\u00e9 is not mojibake, nor is \u00c3 alone",
    # special tokens written in the text
    "<start_of_text>hello<end_of_text>",
    "<START_OF_TEXT> upper <End_Of_Text>",
    "<\u017ftart_of_text> long s",
    "<start_of_text",
    # long inputs
    LONG_CAPTION,
    " ".join(["word"] * 100),
    "\U0001f600" * 60,
    "supercalifragilisticexpialidocious " * 5,
    "x" * 300,
    "a" + "\u0301" * 40,
]

CONTEXTS = [
    (LONG_CAPTION, 16),
    (LONG_CAPTION, 2),
    (LONG_CAPTION, 1),
    ("a photo of a cat", 8),
    ("a photo of a cat", 7),
    ("a photo of a cat", 6),
    ("", 3),
    ("", 2),
    ("", 1),
    ("a photo of a cat", 200),
]

FTFY_ONLY = [
    "\u00e2\u20ac\u201c en dash mojibake",
    "\u00c3\u00b1and\u00c3\u00ba",
    "Ã¢â‚¬Å“ triple",
    "\u00c3\u0192\u00c2\u00a9",
    "\u00ce\u00b1\u00ce\u00b2\u00ce\u00b3",
    "\u00e6\u2014\u00a5\u00e6\u0153\u00ac\u00e8\u00aa\u017e",
    "\u00c2\u00a0non-breaking",
    "l\u00c3\u00a9gion d\u00e2\u20ac\u2122honneur",
    "\u00c3\u00a0 \u00c3\u00a1 \u00c3\u00a2",
    "\xed\xa0\xbd\xed\xb8\x8d cesu",
    "\u00c3\u00ad\u00c2\u00a0\u00c2\u00bd\u00c3\u00ad\u00c2\u00b8\u00c2\u008d",
    "\x81\x8d\x8f\x90\x9d undefined windows-1252 bytes",
    "ÃƒÂ©",
    "â€¦ ellipsis",
    "Ð¡Ð¼Ð¾Ñ‚Ñ€Ð¸",
    "Ã¼ber",
    "â”‚ box â”‚",
    "P\u00c3\u00a9rez \u00e2\u20ac\u201d",
    "a\r\nb\rc",
    "<p>&eacute;</p>",
]

UNESCAPE_ONLY = [
    "&amp;amp;", "&ampamp;", "&notin;", "&notit;", "&not", "&#x26;", "&#38", "&#x;", "&#;",
    "&AElig &AElig; &aeligx", "&#9999999999999999999;", "&#x" + "f" * 40 + ";", "&unknown;",
    "&" + "a" * 40 + ";", "&lt&gt", "a & b", "&#13; &#x0D;", "&#1114111; &#1114112;",
]


RANDOM_WORDS = [
    "café", "naïve", "résumé", "Ærøskøbing", "Straße", "łódź", "Привет", "мир", "Γειά", "σου",
    "日本語", "中文", "한국어", "עברית", "العربية", "हिन्दी", "😀", "👍🏽", "❤️", "✔", "™", "©", "€100",
    "“quoted”", "‘single’", "—", "–", "…", "•", "½", "°C", "µm", "×", "¿qué?", "¡sí!", "à", "á",
    "the", "cat", "on", "a", "mat", "dog", "photo", "of", "&amp;", "&eacute;", "&#233;", "<b>",
    "ｆｕｌｌ", "ﬁne", "\u00a0", "\u200b", "Ã", "Â", "ð", "Ÿ", "\x81", "\x9d", "\ufffd", "?",
]
MOJIBAKE_CODECS = ["latin-1", "windows-1252", "windows-1251", "windows-1250", "windows-1253",
                   "windows-1254", "windows-1257", "iso-8859-2", "mac_roman", "cp437"]


def random_ftfy_strings(count, seed=7):
    """Captions run through random wrong decoders, partly and repeatedly: an oracle for the port
    of ftfy's mojibake heuristics, which the hand-picked strings cannot cover alone."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        words = [rng.choice(RANDOM_WORDS) for _ in range(rng.randrange(1, 7))]
        text = rng.choice([" ", "", "  ", "\u00a0"]).join(words)
        for _ in range(rng.choice([0, 1, 1, 1, 2])):
            codec = rng.choice(MOJIBAKE_CODECS)
            start = rng.randrange(0, len(text) + 1) if rng.random() < 0.3 else 0
            try:
                garbled = text[start:].encode("utf-8").decode(codec, errors=rng.choice(["replace", "strict"]))
            except UnicodeDecodeError:
                continue
            text = text[:start] + garbled
        if rng.random() < 0.2:
            text = text.replace("\u00a0", " ")
        out.append(text)
    return out


def classify_code_points():
    """The pre-tokeniser alternative each code point falls in, alone: L (letters), N (a number),
    O (other non-space), S (matched by nothing: \\s or excluded). Run-length encoded."""
    letters = regex.compile(r"[\p{L}]+", regex.IGNORECASE)
    number = regex.compile(r"[\p{N}]", regex.IGNORECASE)
    other = regex.compile(r"[^\s\p{L}\p{N}]+", regex.IGNORECASE)
    runs = []
    prev = None
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            cls = "S"  # no string holds a lone surrogate after ftfy
        else:
            ch = chr(cp)
            if letters.fullmatch(ch):
                cls = "L"
            elif number.fullmatch(ch):
                cls = "N"
            elif other.fullmatch(ch):
                cls = "O"
            else:
                cls = "S"
        if cls != prev:
            runs.append([cp, cls])
            prev = cls
    return runs


def main():
    tok = open_clip_tokenizer.SimpleTokenizer()
    tokenize = open_clip_tokenizer.tokenize
    clean = tok.clean_fn
    cases = []
    for text in CASES:
        encoded = tok.encode(text)
        cases.append({
            "text": text,
            "clean": clean(text),
            "encode": encoded,
            "ids": tokenize([text])[0].tolist(),
            "decode": tok.decode(encoded),
        })
    contexts = [
        {"text": t, "context_length": n, "ids": tokenize([t], context_length=n)[0].tolist()}
        for t, n in CONTEXTS
    ]
    rng = random.Random(5)
    decode_ids = [[49406, 49407], [0], [255], [511], [188, 189], [320, 49407, 320]]
    decode_ids += [[rng.randrange(0, 512) for _ in range(rng.randrange(1, 12))] for _ in range(30)]
    decode_ids += [[rng.randrange(0, 49408) for _ in range(rng.randrange(1, 12))] for _ in range(30)]
    decode_cases = [{"ids": ids, "text": tok.decode(ids)} for ids in decode_ids]
    fixture = {
        "versions": {
            "python": platform.python_version(),
            "unicodedata": unicodedata.unidata_version,
            "open_clip": OPEN_CLIP_VERSION,
            "ftfy": ftfy.__version__,
            "regex": regex.__version__,
            "torch": torch.__version__,
        },
        "context_length": 77,
        "vocab_size": tok.vocab_size,
        "cases": cases,
        "contexts": contexts,
        "decode_cases": decode_cases,
        "ftfy_cases": [{"text": t, "fixed": ftfy.fix_text(t)} for t in CASES + FTFY_ONLY + random_ftfy_strings(1500)],
        "unescape_cases": [{"text": t, "once": html.unescape(t)} for t in UNESCAPE_ONLY + CASES],
        "unicode": {
            "classes": classify_code_points(),
            "lower": [[cp, chr(cp).lower()] for cp in range(0x110000)
                      if not 0xD800 <= cp <= 0xDFFF and chr(cp).lower() != chr(cp)],
            "isspace": [cp for cp in range(0x110000) if chr(cp).isspace()],
        },
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases, {len(contexts)} contexts, {len(decode_cases)} decodes to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    sys.exit(main())
