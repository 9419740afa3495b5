"""One PyTorch configuration of `pnpm bench:train --torch`, in its own process.

The same model as Duet's (open_clip's own CLIP class, built from the config Duet would save
for it), the same synthetic batch shapes, and open_clip's training step (open_clip's
training/train.py, without AMP or distributed):

    optimizer.zero_grad(set_to_none=True)
    loss = ClipLoss(*model(images, texts))            forward, InfoNCE
    loss.backward()
    clip_grad_norm_(params, max_norm)                  the preset's max norm
    optimizer.step()                                   AdamW(betas 0.9/0.98, eps 1e-6), no decay
                                                       for gains, biases and logit_scale
    logit_scale.clamp_(0, ln 100)

with torch.set_num_threads(threads). Started by bench/train.ts with the StepProcessSpec JSON
(bench/train-options.ts) as its one argument; then reads {"run": N} / {"exit": true} lines
on stdin and answers one JSON line each, as bench/train-child.ts does.

Needs torch and open_clip_torch. Without torchvision (a torch-only venv) open_clip's package
__init__ cannot import, so its model and loss modules are loaded past it, with the one
torchvision name they import (FrozenBatchNorm2d, ResNet towers only) stubbed.
"""

import json
import math
import resource
import sys
import time
from pathlib import Path

import torch


def open_clip_modules():
    """open_clip's model and loss modules (past its package __init__ when torchvision is missing)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    from open_clip_import import import_open_clip

    return import_open_clip("model", "loss")


def synthetic_batch(config, batch, generator):
    """Images from N(0, 1); token rows [start, random ids, end, 0 ...] with end the largest id."""
    size = config["vision_cfg"]["image_size"]
    context, vocab = config["text_cfg"]["context_length"], config["text_cfg"]["vocab_size"]
    images = torch.randn(batch, 3, size, size, generator=generator)
    tokens = torch.zeros(batch, context, dtype=torch.int64)
    lengths = torch.randint(1, context - 1, (batch,), generator=generator).tolist()
    for row, length in enumerate(lengths):
        tokens[row, 0] = vocab - 2
        tokens[row, 1 : 1 + length] = torch.randint(1, vocab - 2, (length,), generator=generator)
        tokens[row, 1 + length] = vocab - 1
    return images, tokens


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec["config"]["threads"])
    model_module, loss_module = open_clip_modules()
    config = {k: v for k, v in spec["modelConfig"].items() if k != "duet"}
    torch.manual_seed(spec["seed"])
    model = model_module.CLIP(**config)
    model.train()
    no_decay = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n  # open_clip's rule
    named = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in named if no_decay(n, p)], "weight_decay": 0.0},
        {"params": [p for n, p in named if not no_decay(n, p)], "weight_decay": spec["weightDecay"]},
    ]
    optimizer = torch.optim.AdamW(groups, lr=spec["lr"], betas=(0.9, 0.98), eps=1e-6)
    clip_loss = loss_module.ClipLoss()
    images, tokens = synthetic_batch(config, spec["batch"], torch.Generator().manual_seed(spec["seed"] + 1))
    params = [p for _, p in named]

    def step():
        optimizer.zero_grad(set_to_none=True)
        image_features, text_features, logit_scale = model(images, tokens)
        loss = clip_loss(image_features, text_features, logit_scale)
        loss.backward()
        if spec["gradClipNorm"] is not None:
            torch.nn.utils.clip_grad_norm_(params, spec["gradClipNorm"])
        optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        return loss.item()

    send({"ready": True, "parameters": sum(p.numel() for p in params), "torch": torch.__version__})
    for line in sys.stdin:
        command = json.loads(line)
        if command.get("exit"):
            break
        ms, cpu_ms, loss = [], [], float("nan")
        for _ in range(command.get("run", 0)):
            cpu0, t0 = time.process_time(), time.perf_counter()
            loss = step()
            ms.append((time.perf_counter() - t0) * 1000)
            cpu_ms.append((time.process_time() - cpu0) * 1000)
        send({"ms": ms, "cpu_ms": cpu_ms, "loss": loss})
    send({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})  # KiB on Linux


def send(message):
    print(json.dumps(message), flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one line for the parent, which names the configuration
        send({"error": f"{type(error).__name__}: {error}"})
        sys.exit(1)
