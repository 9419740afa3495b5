#!/usr/bin/env bash
# The whole round trip, Duet -> open_clip on torch.distributed -> Duet, with its numbers
# (docs/scale-out.md):
#
#   1. a Duet run (the demo preset, 30 steps; or CHECKPOINT=DIR to start from yours)
#   2. duet export --to open_clip; duet export-data (train shards, a test pairs.tsv)
#   3. before training: open_clip's token ids (64 strings) and features (8 images, 8 texts)
#      against duet tokenize / duet embed            (compare.py)
#   4. torchrun --nproc_per_node $NPROC train.py: $STEPS steps, gloo on CPU (NCCL on GPUs)
#   5. duet eval retrieval on the returned folder against open_clip's own evaluation of it, on
#      the test pairs whose image no other pair shares (unique_pairs.py says why)
#   6. the loss across the hand-over                   (report.py -> WORK/summary.json)
#
#   bash tools/scale-out/check.sh [WORK]       PYTHON=/path/to/venv/bin/python to pick the venv
#
# Where Python, torch or open_clip is missing it says so and exits 0: nothing here is needed
# by the tests (CI has no Python).

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/scale-out"
PYTHON="${PYTHON:-python3}"
NPROC="${NPROC:-2}"
STEPS="${STEPS:-50}"
WORK="${1:-$(mktemp -d -t duet-scale-out-XXXXXX)}"
# both as absolute paths: the steps below run in other folders
WORK="$(mkdir -p "$WORK" && cd "$WORK" && pwd)"
case "$PYTHON" in */*) PYTHON="$(cd "$(dirname "$PYTHON")" && pwd)/$(basename "$PYTHON")" ;; esac
mkdir -p "$WORK"

if ! "$PYTHON" -c "import sys; sys.path.insert(0, sys.argv[1]); import torch, PIL, transformers, open_clip_full" "$HERE" 2>/dev/null; then
  echo "check.sh: skipped: $PYTHON lacks torch, open_clip_torch, transformers or Pillow (see docs/scale-out.md for the venv)"
  exit 0
fi
TORCHRUN=("$PYTHON" -m torch.distributed.run)
duet() { (cd "$ROOT" && npx tsx packages/vlm/src/cli/main.ts "$@"); }
step() { printf '\n== %s\n' "$*"; }

RUN="$WORK/duet-run"
if [[ -n "${CHECKPOINT:-}" ]]; then
  CKPT="$CHECKPOINT"
  DUET_LOG="${DUET_LOG:-$(dirname "$CKPT")/train_log.jsonl}"
else
  step "1. Duet trains the demo model for 30 steps"
  [[ -d "$RUN/checkpoint" ]] || duet train --out "$RUN" --steps 30
  CKPT="$RUN/checkpoint"
  DUET_LOG="$RUN/train_log.jsonl"
fi

step "2. export the model and the data"
rm -rf "$WORK/export" "$WORK/shards" "$WORK/test" "$WORK/returned"
duet export --checkpoint "$CKPT" --to open_clip --out "$WORK/export" --json | tee "$WORK/export.json"
SIZE="$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['preprocess_cfg']['size'])" "$WORK/export/open_clip_config.json")"
duet export-data --data openmoji --image-size "$SIZE" --format wds --out "$WORK/shards"
duet export-data --data openmoji:test --image-size "$SIZE" --format csv --out "$WORK/test"
LAST_SHARD="$(ls "$WORK/shards" | grep '\.tar$' | sort | tail -1)"

step "3. before training: token ids and features, open_clip vs Duet"
duet tokenize --checkpoint "$CKPT" --context 77 --input "$ROOT/tests/fixtures/export/strings.json" --json > "$WORK/duet_ids.json"
IMAGES=("$WORK"/test/images/00000{0,1,2,3}.png "$ROOT"/tests/fixtures/images/{astronaut-232,chelsea,camera-grey,astronaut-interlaced}.png)
ARGS=()
for image in "${IMAGES[@]}"; do ARGS+=(--image "$image"); done
mapfile -t TEXTS < "$HERE/texts.txt"
for text in "${TEXTS[@]}"; do ARGS+=(--text "$text"); done
duet embed --checkpoint "$CKPT" "${ARGS[@]}" --json > "$WORK/duet_embed.json"
"$PYTHON" "$HERE/compare.py" --folder "$WORK/export" --strings "$ROOT/tests/fixtures/export/strings.json" --duet-ids "$WORK/duet_ids.json" \
  --texts "$HERE/texts.txt" --images "${IMAGES[@]}" --duet-embed "$WORK/duet_embed.json" --out "$WORK/before.json"

step "4. open_clip continues: $NPROC processes x $STEPS steps (torch.distributed)"
"${TORCHRUN[@]}" --nproc_per_node "$NPROC" "$HERE/train.py" --model "local-dir:$WORK/export" \
  --train-data "$WORK/shards/{000000..${LAST_SHARD%.tar}}.tar" --out "$WORK/returned" --steps "$STEPS"

step "5. back in Duet: duet eval on the returned folder vs open_clip's own evaluation"
# identical images tie in a ranking, and each evaluator breaks ties its own way: compare on the rest
"$PYTHON" "$HERE/unique_pairs.py" "$WORK/test/pairs.tsv" "$WORK/test/unique.tsv"
duet eval retrieval --checkpoint "$WORK/returned" --data "$WORK/test/unique.tsv" --json | tee "$WORK/duet_eval.json"
"$PYTHON" "$HERE/evaluate.py" --folder "$WORK/returned" --data "$WORK/test/unique.tsv" --out "$WORK/open_clip_eval.json" > /dev/null

step "6. the numbers"
"$PYTHON" "$HERE/report.py" --export "$WORK/export.json" --before "$WORK/before.json" --duet-eval "$WORK/duet_eval.json" \
  --open-clip-eval "$WORK/open_clip_eval.json" --duet-log "$DUET_LOG" --torch-log "$WORK/returned/train_log.jsonl" --out "$WORK/summary.json"
echo "summary: $WORK/summary.json"
