"""open_clip's own retrieval evaluation of an open_clip folder on a pairs.tsv (duet export-data).

    python tools/scale-out/evaluate.py --folder RETURNED --data TEST/pairs.tsv [--out eval.json]

The model, eval transform and tokenizer come from open_clip.create_model_and_transforms and
get_tokenizer("local-dir:RETURNED"); the metrics are open_clip_train's get_clip_metrics
(image_to_text_R@1/5/10, text_to_image_R@1/5/10, *_mean_rank, *_median_rank), the names
`duet eval retrieval` prints. One caption per image, as export-data writes by default, so image i
and caption i are the matching pair.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from open_clip_full import open_clip  # noqa: E402
from open_clip_train.train import get_clip_metrics  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--out")
    args = parser.parse_args()
    name = f"local-dir:{args.folder}"
    model, _, preprocess = open_clip.create_model_and_transforms(name)
    model.eval()
    tokenizer = open_clip.get_tokenizer(name)
    folder = Path(args.data).parent
    with open(args.data, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if len({row["filepath"] for row in rows}) != len(rows):
        raise SystemExit(f"{args.data}: an image with several captions; export the data with --captions-per-image 1")
    image_features, text_features = [], []
    with torch.no_grad():
        for start in range(0, len(rows), args.batch_size):
            batch = rows[start : start + args.batch_size]
            images = torch.stack([preprocess(Image.open(folder / row["filepath"])) for row in batch])
            image_features.append(model.encode_image(images, normalize=True))
            text_features.append(model.encode_text(tokenizer([row["title"] for row in batch]), normalize=True))
        metrics = get_clip_metrics(torch.cat(image_features), torch.cat(text_features), model.logit_scale.exp())
    result = {key: float(value) for key, value in metrics.items()}
    result["n"] = len(rows)
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
