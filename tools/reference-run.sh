#!/usr/bin/env bash
# The PyTorch reference run (docs/reference-run.md): export a Duet run's batches, train
# open_clip on them with Duet's recipe, evaluate the result with Duet's evaluator, and write
# bench/results/reference-train.json (which the demo's report shows beside Duet's numbers).
#
#   tools/reference-run.sh [RUN_DIR] [extra reference_train.py flags, e.g. --init open_clip]
#
# RUN_DIR: a finished `duet demo` run (default runs/demo). Python: $DUET_PYTHON (default
# python3), with torch, open_clip_torch and safetensors. Work files go to $DUET_REF_WORK
# (default a new temporary folder; the batches take ~1.5 MB a step).
set -euo pipefail

cd "$(dirname "$0")/.."
RUN_DIR="${1:-runs/demo}"
shift || true
PYTHON="${DUET_PYTHON:-python3}"
OUT="${DUET_REF_OUT:-bench/results/reference-train.json}"

die() { echo "reference-run: $*" >&2; exit 2; }

[ -f "$RUN_DIR/checkpoint/train_state.json" ] || die "no finished Duet run in $RUN_DIR (expected $RUN_DIR/checkpoint/train_state.json): run 'npx tsx packages/vlm/src/cli/main.ts demo --out $RUN_DIR' first"
command -v "$PYTHON" >/dev/null 2>&1 || die "no Python at '$PYTHON': set DUET_PYTHON to an interpreter with torch and open_clip_torch (see docs/reference-run.md)"
"$PYTHON" - <<'EOF' || die "the Python side is not installed in '$PYTHON' (see docs/reference-run.md)"
import importlib.util, sys
missing = [m for m in ("torch", "open_clip", "safetensors", "numpy") if importlib.util.find_spec(m) is None]
if missing:
    sys.exit("missing Python packages: " + ", ".join(missing) + " (pip install torch==2.13.0 numpy safetensors ftfy regex; pip install --no-deps open_clip_torch==3.3.0)")
EOF

WORK="${DUET_REF_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/duet-reference-XXXXXX")}"
echo "reference-run: work folder $WORK" >&2

echo "reference-run: 1/3 exporting the batches of $RUN_DIR" >&2
npx tsx tools/export-demo-batches.ts --run "$RUN_DIR" --out "$WORK/batches" >/dev/null

echo "reference-run: 2/3 training open_clip on them ($PYTHON)" >&2
"$PYTHON" tools/reference_train.py --batches "$WORK/batches" --out "$WORK/pytorch" "$@"

echo "reference-run: 3/3 evaluating on the test split" >&2
npx tsx tools/eval-reference.ts --checkpoint "$WORK/pytorch" --batches "$WORK/batches" --out "$OUT"

if [ -z "${DUET_REF_WORK:-}" ] && [ -z "${DUET_REF_KEEP:-}" ]; then
  rm -rf "$WORK/batches"   # the large part; the trained checkpoint stays in $WORK/pytorch
fi
