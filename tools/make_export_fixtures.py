"""tests/fixtures/export/: token ids that open_clip + Hugging Face tokenizers give for Duet's
exported tokenizer, so the TypeScript tests (no Python in CI) can check the export against them.

    python tools/make_export_fixtures.py      (a venv with torch, open_clip_torch 3.3.0,
                                               ftfy, regex, transformers, tokenizers)

1. `npx tsx tools/export-tokenizer-fixture.ts TMP` learns a small BPE, saves it as
   tests/fixtures/export/duet-tokenizer.json and writes the HF files `duet export` makes for it
   (tokenizer.json, tokenizer_config.json, special_tokens_map.json) plus an open_clip_config.json
   into TMP;
2. open_clip.get_tokenizer("local-dir:TMP") tokenises the 64 strings of
   tests/fixtures/export/strings.json (unicode, long, empty, HTML entities, mojibake ...) at
   context 77: open_clip_ids.json records the ids and the SHA-256 of the tokenizer.json it read,
   so the test knows the ids belong to exactly the file Duet writes today;
3. the same tokenizer saved again by open_clip (HFTokenizer.save_pretrained, as
   open_clip.push_to_hf_hub.save_for_hf does after training) is kept as resaved-tokenizer.json:
   the test reads it back with Duet (the way home).
"""

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "export"
sys.path.insert(0, str(ROOT / "tools" / "scale-out"))
from open_clip_full import open_clip  # noqa: E402


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npx", "tsx", "tools/export-tokenizer-fixture.ts", tmp], cwd=ROOT, check=True)
        strings = json.loads((FIXTURES / "strings.json").read_text(encoding="utf-8"))
        tokenizer = open_clip.get_tokenizer(f"local-dir:{tmp}", context_length=77)
        ids = tokenizer(strings).tolist()
        import tokenizers
        import transformers

        record = {
            "tokenizer_json_sha256": hashlib.sha256((Path(tmp) / "tokenizer.json").read_bytes()).hexdigest(),
            "context_length": 77,
            "ids": ids,
            "versions": {"open_clip": open_clip.__version__, "tokenizers": tokenizers.__version__, "transformers": transformers.__version__},
        }
        (FIXTURES / "open_clip_ids.json").write_text(json.dumps(record) + "\n", encoding="utf-8")
        resaved = Path(tmp) / "resaved"
        tokenizer.save_pretrained(resaved)
        (FIXTURES / "resaved-tokenizer.json").write_text((resaved / "tokenizer.json").read_text(encoding="utf-8"), encoding="utf-8")
    print(f"{len(ids)} strings recorded in {FIXTURES / 'open_clip_ids.json'}")


if __name__ == "__main__":
    main()
