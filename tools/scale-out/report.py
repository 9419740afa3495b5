"""The round trip's numbers in one JSON (check.sh writes it as WORK/summary.json).

    python tools/scale-out/report.py --export export.json --before before.json \
        --duet-eval duet_eval.json --open-clip-eval open_clip_eval.json \
        --duet-log RUN/train_log.jsonl --torch-log RETURNED/train_log.jsonl [--out summary.json]

- before: compare.py's token-id and feature differences (open_clip on the export vs Duet);
- eval: `duet eval retrieval` on the returned folder against open_clip's own evaluation of it,
  the largest difference over the shared metrics;
- hand-over: Duet's last losses and their step-to-step noise (the mean absolute difference of
  consecutive losses), the loss of torch's first step (computed before its first update, so on
  exactly the weights Duet left) and how the loss went on.
"""

import argparse
import json
import statistics
from pathlib import Path


def read_log(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ["--export", "--before", "--duet-eval", "--open-clip-eval", "--duet-log", "--torch-log"]:
        parser.add_argument(flag, required=True)
    parser.add_argument("--out")
    args = parser.parse_args()
    duet_eval = json.loads(Path(args.duet_eval).read_text())
    open_clip_eval = json.loads(Path(args.open_clip_eval).read_text())
    shared = sorted(k for k in open_clip_eval if k in duet_eval and k != "n")
    diffs = {k: abs(float(duet_eval[k]) - float(open_clip_eval[k])) for k in shared}

    duet_losses = [r["loss"] for r in read_log(args.duet_log) if r.get("loss") is not None]
    torch_log = read_log(args.torch_log)
    torch_losses = [r["loss"] for r in torch_log]
    tail = duet_losses[-10:]
    noise = statistics.mean(abs(a - b) for a, b in zip(tail, tail[1:])) if len(tail) > 1 else float("nan")
    last_step = len(duet_losses)
    summary = {
        "export": json.loads(Path(args.export).read_text()),
        "before_training": json.loads(Path(args.before).read_text()),
        "eval_after": {"duet": {k: duet_eval[k] for k in shared}, "open_clip": {k: open_clip_eval[k] for k in shared}, "max_abs_diff": max(diffs.values()), "n": open_clip_eval.get("n")},
        "handover": {
            "duet_steps": last_step,
            "duet_last_losses": tail,
            "duet_step_noise": noise,
            "torch_first_loss": torch_losses[0],
            "jump": torch_losses[0] - duet_losses[-1],
            "torch_losses": torch_losses,
            "curve": [{"step": i + 1, "engine": "duet", "loss": loss} for i, loss in enumerate(duet_losses)]
            + [{"step": last_step + r["step"], "engine": "open_clip", "loss": r["loss"]} for r in torch_log],
        },
    }
    handover = summary["handover"]
    first5, last5 = statistics.mean(torch_losses[:5]), statistics.mean(torch_losses[-5:])
    handover["torch_first5_mean"], handover["torch_last5_mean"] = first5, last5
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    before = summary["before_training"]
    print(f"export: {summary['export']['seconds']:.2f} s")
    print(f"before training: token ids identical for {before['token_ids_identical']}/{before['strings']} strings; "
          f"feature max |diff| images {before['image_features_max_abs_diff']:.2e}, texts {before['text_features_max_abs_diff']:.2e}")
    print(f"after training: duet eval vs open_clip's evaluation, max |diff| over {len(shared)} metrics: {summary['eval_after']['max_abs_diff']:.2e}")
    print(f"hand-over: Duet's last loss {duet_losses[-1]:.4f} (step-to-step noise {noise:.4f}), open_clip's first {torch_losses[0]:.4f} "
          f"(jump {handover['jump']:+.4f}); open_clip mean of first 5 {first5:.4f}, of last 5 {last5:.4f}")


if __name__ == "__main__":
    main()
