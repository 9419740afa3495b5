"""The PyTorch side of the reference run (docs/reference-run.md), step 2 of 3: trains
open_clip's CLIP on the batches a Duet run trained on (written by tools/export-demo-batches.ts),
with Duet's recipe, and saves the weights where tools/eval-reference.ts evaluates them.

    $DUET_PYTHON tools/reference_train.py --batches DIR --out DIR [--init duet|open_clip]

Needs torch and open_clip_torch (3.3.0) and safetensors; never needed by tests.

The recipe, matched to Duet's trainer (packages/vlm/src/train/trainer.ts) line for line:

  model     open_clip.model.CLIP(**model_cfg), model_cfg = the run's config.json without
            its "duet" block; float32; train mode. --init duet (the default) loads the very
            weights Duet started from (the exporter rebuilt them from the run's seed), so the
            two runs share init and data and only the engine differs; --init open_clip keeps
            open_clip's own initialisation under torch.manual_seed(seed).
  optimiser torch.optim.AdamW, two groups as open_clip_train builds them: weight decay 0 for
            p.ndim < 2 or names containing "bn", "ln", "bias", "logit_scale"; the run's weight
            decay for the rest; the run's betas and eps
  lr        the lr Duet applied at each step (header.json: from its train_log.jsonl; linear
            warmup then cosine to 0, re-fitted when `duet demo` fitted its steps to the budget),
            set on every group before the step, as open_clip's scheduler does
  step      zero grads; symmetric InfoNCE (open_clip.loss.ClipLoss) on the normalised features
            with exp(logit_scale); backward; the global L2 gradient norm; a step whose loss or
            norm is not finite is skipped (no update), as Duet's; clip_grad_norm to the run's
            value; AdamW step; logit_scale.clamp_(0, ln 100)

Writes to --out: config.json (Duet's, with the "duet" block, so Duet's loader finds the
tokenizer and preprocessing), model.safetensors (open_clip's state-dict names), tokenizer.json,
train_log.jsonl, and reference_train.json (wall times, losses, versions, the step-1 check).
"""

import argparse
import json
import math
import os
import shutil
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

T_START = time.perf_counter()
LOAD_AT_START = os.getloadavg()[0]  # the machine is often shared: the wall time means little without it

try:
    import numpy as np
    import torch
    from safetensors.torch import load_file, save_file
except ImportError as error:  # pragma: no cover - a setup problem, reported plainly
    sys.exit(f"reference_train.py: {error}. Install the Python side: see docs/reference-run.md")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from open_clip_import import import_open_clip  # noqa: E402

MAX_LOGIT_SCALE = math.log(100)


def import_open_clip_modules():
    try:
        return import_open_clip("model", "loss")
    except ImportError as error:
        sys.exit(f"reference_train.py: {error}")


def excluded_from_weight_decay(name, p):
    """open_clip_train/main.py's rule (and Duet's excludedFromWeightDecay)."""
    return p.ndim < 2 or "bn" in name or "ln" in name or "bias" in name or "logit_scale" in name


def total_grad_norm(params):
    grads = [p.grad for p in params if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach(), 2) for g in grads]), 2)


def versions():
    out = {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__}
    for package in ("open_clip_torch", "safetensors"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "unknown"
    return out


def summarize(losses):
    n = len(losses)
    marks = sorted({1, max(1, n // 4), max(1, n // 2), max(1, (3 * n) // 4), n})
    tail = losses[-10:]
    return {"at_step": {str(s): losses[s - 1] for s in marks}, "mean_last_10": sum(tail) / len(tail), "min": min(losses)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", required=True, help="the folder written by tools/export-demo-batches.ts")
    parser.add_argument("--out", required=True, help="where to write the trained checkpoint")
    parser.add_argument("--init", choices=("duet", "open_clip"), default="duet", help="start from Duet's initial weights (default) or open_clip's own init")
    parser.add_argument("--seed", type=int, default=None, help="torch's seed (default: the run's); matters only with --init open_clip")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    batches = Path(args.batches)
    header_path = batches / "header.json"
    if not header_path.exists():
        sys.exit(f"reference_train.py: {header_path} is missing: run tools/export-demo-batches.ts first (or it did not finish)")
    header = json.loads(header_path.read_text())
    if header.get("format") != "duet-batches" or header.get("version") != 1:
        sys.exit(f"reference_train.py: {header_path} is not a duet-batches header (version 1)")
    if header["byte_order"] != sys.byteorder:
        sys.exit(f"reference_train.py: the batches are {header['byte_order']}-endian, this machine is {sys.byteorder}-endian")
    recipe = header["recipe"]
    if recipe["loss"] != "clip":
        sys.exit(f"reference_train.py: the run used the {recipe['loss']} loss; only CLIP's InfoNCE is implemented here")
    if recipe["dtype"] != "float32":
        sys.exit(f"reference_train.py: the run trained in {recipe['dtype']}; this script trains in float32")

    oc_model, oc_loss = import_open_clip_modules()
    torch.set_num_threads(args.threads)
    seed = header["seed"] if args.seed is None else args.seed
    torch.manual_seed(seed)

    steps, accumulation, batch = header["steps"], header["accumulation"], header["batch_size"]
    image_shape, context = header["image_shape"], header["context_length"]
    images = np.memmap(batches / header["files"]["images"], dtype="<f4", mode="r", shape=(header["batches"], batch, *image_shape))
    tokens = np.memmap(batches / header["files"]["tokens"], dtype="<i4", mode="r", shape=(header["batches"], batch, context))

    model = oc_model.CLIP(**header["model_cfg"])
    if args.init == "duet":
        init_dir = batches / header["files"]["init"]
        result = model.load_state_dict(load_file(str(init_dir / "model.safetensors")), strict=True)
        assert not result.missing_keys and not result.unexpected_keys, result
    model.train()

    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    no_decay = [p for n, p in named if excluded_from_weight_decay(n, p)]
    decay = [p for n, p in named if not excluded_from_weight_decay(n, p)]
    params = [p for _, p in named]
    optimizer = torch.optim.AdamW(
        [{"params": no_decay, "weight_decay": 0.0}, {"params": decay, "weight_decay": recipe["weight_decay"]}],
        lr=recipe["base_lr"],
        betas=tuple(recipe["betas"]),
        eps=recipe["eps"],
    )
    loss_fn = oc_loss.ClipLoss()
    clip_norm = recipe["grad_clip_norm"]
    lrs = recipe["lr_per_step"]
    if len(lrs) != steps:
        sys.exit(f"reference_train.py: header.json has {len(lrs)} learning rates for {steps} steps")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log_lines = []
    losses = []
    skipped = []
    print(
        f"training open_clip CLIP ({sum(p.numel() for p in params) / 1e6:.2f}M parameters, init {args.init}) for {steps} steps of batch {batch}"
        f"{f' x {accumulation}' if accumulation > 1 else ''} on {args.threads} threads",
        file=sys.stderr,
    )
    t_train = time.perf_counter()
    k = 0
    for step in range(steps):
        lr = lrs[step]
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        for _ in range(accumulation):
            x = torch.from_numpy(np.array(images[k]))
            t = torch.from_numpy(np.array(tokens[k]).astype(np.int64))
            k += 1
            image_features = model.encode_image(x, normalize=True)
            text_features = model.encode_text(t, normalize=True)
            loss = loss_fn(image_features, text_features, model.logit_scale.exp())
            (loss / accumulation if accumulation > 1 else loss).backward()
            loss_sum += loss.item()
        loss_value = loss_sum / accumulation
        norm = float(total_grad_norm(params))
        finite = math.isfinite(loss_value) and math.isfinite(norm)
        if finite:
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(params, clip_norm)
            optimizer.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, MAX_LOGIT_SCALE)
            losses.append(loss_value)
        else:
            optimizer.zero_grad(set_to_none=True)
            skipped.append(step + 1)
        record = {"step": step + 1, "loss": loss_value, "lr": lr, "logit_scale": math.exp(model.logit_scale.item()), "grad_norm": norm, "time": time.perf_counter() - t_train}
        if not finite:
            record["skipped"] = True
        log_lines.append(json.dumps(record))
        if step == 0 or (step + 1) % 25 == 0 or step + 1 == steps:
            print(f"step {step + 1}/{steps}: loss {loss_value:.4f}, lr {lr:.2e}, scale {record['logit_scale']:.2f}, |g| {norm:.3f}, {record['time']:.1f} s", file=sys.stderr)
    train_seconds = time.perf_counter() - t_train

    # the checkpoint, as Duet reads it: Duet's config.json (open_clip keys + "duet" block)
    state = {name: tensor.detach().to(torch.float32).contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "config.json").write_text(json.dumps(header["duet_config"], indent=2) + "\n")
    tokenizer = batches / header["files"]["init"] / "tokenizer.json"
    if tokenizer.exists():
        shutil.copyfile(tokenizer, out / "tokenizer.json")
    (out / "train_log.jsonl").write_text("\n".join(log_lines) + "\n")

    duet_step1 = header["first_batch"]["duet_logged_step1_loss"]
    first = json.loads(log_lines[0])["loss"]
    summary = {
        "description": f"open_clip {versions()['open_clip_torch']}, PyTorch {torch.__version__.split('+')[0]}, {args.threads} threads, float32, CPU",
        "init": args.init,
        "steps": steps,
        "batch_size": batch,
        "accumulation": accumulation,
        "seed": header["seed"],
        "torch_seed": seed,
        "threads": args.threads,
        "final_loss": losses[-1] if losses else None,
        "skipped_steps": skipped,
        "loss_curve": summarize(losses) if losses else None,
        "step1": {"pytorch_loss": first, "duet_logged_loss": duet_step1, "abs_diff": abs(first - duet_step1)},
        "wall_time_s": {"train": train_seconds, "total": time.perf_counter() - T_START},
        "load_average_at_start": round(LOAD_AT_START, 2),
        "versions": versions(),
        "batches": str(batches.resolve()),
    }
    (out / "reference_train.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"done: {steps} steps in {train_seconds:.1f} s ({steps * batch * accumulation / train_seconds:.0f} samples/s); final loss {summary['final_loss']:.4f};"
        f" step-1 loss {first:.6f} (Duet logged {duet_step1:.6f}); wrote {out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
