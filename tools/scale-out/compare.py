"""Before training: does open_clip, loading an exported folder by itself, see what Duet sees?

    python tools/scale-out/compare.py --folder EXPORT --strings S.json --duet-ids IDS.json \
        --texts T.txt --images a.png b.png ... --duet-embed EMBED.json [--out before.json]

- token ids: open_clip.get_tokenizer("local-dir:EXPORT") on every string of S.json, at the
  context length of IDS.json (`duet tokenize --checkpoint C --context N --input S.json --json`),
  compared id for id;
- features: open_clip.create_model_and_transforms("local-dir:EXPORT"), its eval transform on each
  image and its tokenizer on each line of T.txt, L2-normalised, against `duet embed --json`
  (the same images and texts): the largest absolute difference of any coordinate, and of
  exp(logit_scale).
Prints one JSON object (and writes it to --out); exits 1 if the ids differ or a feature differs by
more than --tolerance (default 1e-5, the issue's target).
"""

import argparse
import json
import sys
from pathlib import Path

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from open_clip_full import open_clip  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--strings", required=True)
    parser.add_argument("--duet-ids", required=True)
    parser.add_argument("--texts", required=True)
    parser.add_argument("--images", nargs="+", required=True)
    parser.add_argument("--duet-embed", required=True)
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("--out")
    args = parser.parse_args()
    name = f"local-dir:{args.folder}"

    strings = json.loads(Path(args.strings).read_text(encoding="utf-8"))
    duet_ids = json.loads(Path(args.duet_ids).read_text())
    context = duet_ids["context_length"]
    ids = open_clip.get_tokenizer(name, context_length=context)(strings).tolist()
    differ = [i for i, (a, b) in enumerate(zip(ids, duet_ids["ids"])) if a != b]

    model, _, preprocess = open_clip.create_model_and_transforms(name)
    model.eval()
    tokenizer = open_clip.get_tokenizer(name)
    texts = Path(args.texts).read_text(encoding="utf-8").splitlines()
    with torch.no_grad():
        images = torch.stack([preprocess(Image.open(p)) for p in args.images])
        image_features = model.encode_image(images, normalize=True)
        text_features = model.encode_text(tokenizer(texts), normalize=True)
        logit_scale = model.logit_scale.exp().item()
    duet = json.loads(Path(args.duet_embed).read_text())
    image_diff = (image_features.double() - torch.tensor(duet["image_features"], dtype=torch.float64)).abs().max().item()
    text_diff = (text_features.double() - torch.tensor(duet["text_features"], dtype=torch.float64)).abs().max().item()
    result = {
        "strings": len(strings),
        "context_length": context,
        "token_ids_identical": len(strings) - len(differ),
        "token_ids_differ": [strings[i] for i in differ],
        "images": len(args.images),
        "texts": len(texts),
        "image_features_max_abs_diff": image_diff,
        "text_features_max_abs_diff": text_diff,
        "logit_scale_abs_diff": abs(logit_scale - duet["logit_scale"]),
        "versions": {"open_clip": open_clip.__version__, "torch": torch.__version__},
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    ok = not differ and max(image_diff, text_diff) <= args.tolerance
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
