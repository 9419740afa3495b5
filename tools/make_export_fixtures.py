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

CoCa (tests/fixtures/export/coca/, read by tests/vlm/coca-export.test.ts):

4. `npx tsx tools/export-coca-fixture.ts TMP` saves a tiny random CoCa on that tokenizer as a
   Duet checkpoint (coca/checkpoint/) and exports it to TMP as `duet export --to open_clip` does;
5. open_clip.create_model_and_transforms("local-dir:TMP") builds open_clip's CoCa from it, and
   load_state_dict(strict=True) loads the exported weights once more, explicitly: no key missing,
   none unexpected. In float64, on 4 seeded images and 4 captions tokenised by
   get_tokenizer("local-dir:TMP"), coca/open_clip_outputs.safetensors records the inputs,
   image_features and text_features (normalised), the decoder's logits for tokens[:, :-1]
   (CoCa.forward) and exp(logit_scale); coca/open_clip.json the SHA-256 of the exported
   config and weights, so the test knows open_clip loaded exactly what Duet exports today.

    python tools/make_export_fixtures.py [tokenizer] [coca]     (default: both)
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


def tokenizer_fixtures():
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


COCA_CAPTIONS = ["a red apple", "a dog", "grinning face with big eyes", "a blue car on a road at night"]


def coca_fixtures():
    import torch
    from safetensors.torch import load_file, save_file

    out = FIXTURES / "coca"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npx", "tsx", "tools/export-coca-fixture.ts", tmp], cwd=ROOT, check=True)
        model, _, _ = open_clip.create_model_and_transforms(f"local-dir:{tmp}")
        if type(model).__name__ != "CoCa":
            raise SystemExit(f"open_clip built a {type(model).__name__} from the export, not a CoCa")
        weights = Path(tmp) / "open_clip_model.safetensors"
        loaded = model.load_state_dict(load_file(weights), strict=True)
        model = model.double().eval()
        tokens = open_clip.get_tokenizer(f"local-dir:{tmp}")(COCA_CAPTIONS)
        # F32 values held in F64, so Duet can run the same pixels in float32 too
        pixels = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(7)).double()
        with torch.no_grad():
            result = model(pixels, tokens)
        save_file(
            {
                "pixels": pixels.contiguous(),
                "tokens": tokens.to(torch.int32).contiguous(),
                "image_features": result["image_features"].contiguous(),
                "text_features": result["text_features"].contiguous(),
                "logits": result["logits"].contiguous(),
                "logit_scale": result["logit_scale"].reshape(()).contiguous(),
            },
            str(out / "open_clip_outputs.safetensors"),
        )
        record = {
            "config_sha256": hashlib.sha256((Path(tmp) / "open_clip_config.json").read_bytes()).hexdigest(),
            "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
            "strict": True,
            "missing_keys": list(loaded.missing_keys),
            "unexpected_keys": list(loaded.unexpected_keys),
            "model": type(model).__name__,
            "parameters": sorted(name for name, _ in model.named_parameters()),
            "captions": COCA_CAPTIONS,
            "versions": {"open_clip": open_clip.__version__, "torch": torch.__version__},
        }
        (out / "open_clip.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"open_clip loaded the exported CoCa strictly ({len(record['parameters'])} parameters); outputs in {out}")


def main():
    parts = sys.argv[1:] or ["tokenizer", "coca"]
    for part in parts:
        if part not in ("tokenizer", "coca"):
            raise SystemExit(f"make_export_fixtures.py: unknown part {part!r}; expected tokenizer and/or coca")
    if "tokenizer" in parts:
        tokenizer_fixtures()
    if "coca" in parts:
        coca_fixtures()


if __name__ == "__main__":
    main()
