"""The pairs of a pairs.tsv whose image is unique (byte for byte), for a comparison of evaluators.

    python tools/scale-out/unique_pairs.py TEST/pairs.tsv TEST/unique.tsv

Two identical images have identical features, so in a text->image ranking their order is a tie
that each evaluator breaks its own way (open_clip_train ranks with torch.argsort, which is not
stable). OpenMoji's test split has such images: mixed skin-tone variants that render alike. The
metrics of two evaluators can only be compared where no image is tied, so this keeps every pair
whose image bytes occur once (paths stay relative to the same folder).
"""

import csv
import hashlib
import sys
from collections import Counter
from pathlib import Path


def main():
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    with open(source, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    digest = {row["filepath"]: hashlib.sha256((source.parent / row["filepath"]).read_bytes()).hexdigest() for row in rows}
    counts = Counter(digest.values())
    kept = [row for row in rows if counts[digest[row["filepath"]]] == 1]
    with open(target, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["filepath", "title"], delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows({"filepath": row["filepath"], "title": row["title"]} for row in kept)
    print(f"{len(kept)} of {len(rows)} pairs have an image no other pair shares")


if __name__ == "__main__":
    main()
