"""Continue a Duet run on torch.distributed: open_clip's model, DDP, ClipLoss over all processes.

    torchrun --nproc_per_node N tools/scale-out/train.py \
        --model local-dir:EXPORT --train-data SHARDS_OR_TSV --out RETURNED [options]

- the model, its transforms and its tokenizer come from the folder `duet export` wrote, loaded by
  open_clip itself: create_model_and_transforms("local-dir:EXPORT"), get_tokenizer(...);
- each process holds a DistributedDataParallel replica (gloo on CPU, NCCL on GPUs) and draws its
  part of each global batch (DistributedSampler); ClipLoss(gather_with_grad=True, rank,
  world_size) gathers every process's features, so the contrastive batch is the global batch and
  the gradient is the full batch's, as on one machine;
- Duet's recipe (packages/vlm/src/train/recipe.ts, which follows open_clip_train): AdamW, betas
  (0.9, 0.98), eps 1e-6, no weight decay for parameters with ndim < 2, gains, biases and
  logit_scale; linear warmup then cosine decay; gradient norm clipped; logit_scale clamped to
  [0, ln 100] after every step, as in the CLIP paper;
- rank 0 logs each step (JSONL) and saves an open_clip folder at the end with
  open_clip.push_to_hf_hub.save_for_hf: open_clip_config.json, open_clip_model.safetensors and
  the tokenizer as HFTokenizer.save_pretrained writes it, which `duet eval` reads back.

Data: `duet export-data --format wds` shards (a brace pattern "DIR/{000000..000003}.tar", a
folder, or a list) are read with Python's tarfile — webdataset and braceexpand, which
open_clip_train's own loader needs, are not on this machine's mirror; or `--format csv`'s
pairs.tsv (paths relative to its folder). All samples are indexed up front: right for an
example and for data that fits one machine's memory; at scale use open_clip_train's webdataset
pipeline (docs/scale-out.md).
The optimizer state does not carry over from Duet: the moments start at zero, and the warmup
(--warmup) keeps the first updates small while they fill.
"""

import argparse
import io
import json
import math
import os
import re
import sys
import tarfile
import time
from pathlib import Path

import torch
import torch.distributed as dist
from PIL import Image
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from open_clip_full import open_clip  # noqa: E402
from open_clip.loss import ClipLoss  # noqa: E402
from open_clip.push_to_hf_hub import save_for_hf  # noqa: E402
from open_clip.tokenizer import HFTokenizer  # noqa: E402

MAX_LOGIT_SCALE = math.log(100)  # the CLIP paper's clamp: beyond it training diverges


def expand_shards(spec):
    """'DIR/{000000..000003}.tar' (zero-padded range), a folder of .tar files, or 'a.tar::b.tar'."""
    if os.path.isdir(spec):
        return sorted(str(p) for p in Path(spec).glob("*.tar"))
    match = re.search(r"\{(\d+)\.\.(\d+)\}", spec)
    if match:
        first, last = match.group(1), match.group(2)
        return [spec[: match.start()] + str(i).zfill(len(first)) + spec[match.end():] for i in range(int(first), int(last) + 1)]
    return spec.split("::")


def read_pairs(spec):
    """(image bytes or path, caption) of every sample."""
    if spec.endswith((".tsv", ".csv")):
        import csv

        folder = Path(spec).parent
        with open(spec, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        return [(str(folder / row["filepath"]), row["title"]) for row in rows]
    pairs = []
    for shard in expand_shards(spec):
        members = {}
        with tarfile.open(shard) as tar:
            for member in tar.getmembers():
                key, _, extension = member.name.partition(".")
                members.setdefault(key, {})[extension] = tar.extractfile(member).read()
        for key in sorted(members):
            sample = members[key]
            pairs.append((sample["png"], sample["txt"].decode("utf-8")))
    return pairs


class PairDataset(Dataset):
    def __init__(self, pairs, transform, tokenizer):
        self.pairs, self.transform, self.tokenizer = pairs, transform, tokenizer

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        image, caption = self.pairs[index]
        image = Image.open(io.BytesIO(image) if isinstance(image, bytes) else image)
        return self.transform(image), self.tokenizer([caption])[0]


def lr_at(step, base_lr, warmup, steps):
    """open_clip_train's cosine_lr (step 0-based): linear warmup, then half a cosine to 0."""
    if step < warmup:
        return base_lr * (step + 1) / warmup
    e, es = step - warmup, max(1, steps - warmup)
    return 0.5 * (1 + math.cos(math.pi * e / es)) * base_lr


def param_groups(model, weight_decay):
    """No decay for gains, biases, embeddings of ndim < 2 and logit_scale (open_clip_train's rule)."""
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n  # noqa: E731
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return [
        {"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
        {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": weight_decay},
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help='"local-dir:EXPORT", the folder duet export wrote')
    parser.add_argument("--train-data", required=True, help="shards (DIR/{000000..000003}.tar, a folder) or pairs.tsv")
    parser.add_argument("--out", required=True, help="where rank 0 saves the open_clip folder (new or empty)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=128, help="the global contrastive batch, split over the processes")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--wd", type=float, default=0.1)
    parser.add_argument("--grad-clip", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log", help="JSONL of rank 0's steps (default OUT/train_log.jsonl)")
    args = parser.parse_args()

    cuda = torch.cuda.is_available()
    dist.init_process_group(backend="nccl" if cuda else "gloo")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    else:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", 1))))
    if args.batch_size % world_size != 0:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world_size} processes")
    torch.manual_seed(args.seed + rank)

    model, preprocess_train, _ = open_clip.create_model_and_transforms(args.model, device=device, output_dict=True)
    tokenizer = open_clip.get_tokenizer(args.model)
    ddp = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None)

    dataset = PairDataset(read_pairs(args.train_data), preprocess_train, tokenizer)
    per_rank = args.batch_size // world_size
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=args.seed, drop_last=True)
    loader = DataLoader(dataset, batch_size=per_rank, sampler=sampler, drop_last=True, num_workers=0)
    if len(loader) == 0:
        raise SystemExit(f"{len(dataset)} samples make no batch of {per_rank} per process")

    loss_fn = ClipLoss(local_loss=False, gather_with_grad=True, cache_labels=True, rank=rank, world_size=world_size)
    optimizer = torch.optim.AdamW(param_groups(model, args.wd), lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    if rank == 0:
        if os.path.exists(args.out) and (not os.path.isdir(args.out) or os.listdir(args.out)):
            raise SystemExit(f"--out {args.out} must be a new or empty folder")
        os.makedirs(args.out, exist_ok=True)
    log = open(args.log or os.path.join(args.out, "train_log.jsonl"), "w") if rank == 0 else None
    if rank == 0:
        print(f"{world_size} processes ({'nccl' if cuda else 'gloo'}), {len(dataset)} pairs, global batch {args.batch_size}, {args.steps} steps", flush=True)

    step, epoch, started = 0, 0, time.time()
    model.train()
    while step < args.steps:
        sampler.set_epoch(epoch)
        for images, texts in loader:
            if step >= args.steps:
                break
            lr = lr_at(step, args.lr, args.warmup, args.steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            out = ddp(images.to(device), texts.to(device))
            loss = loss_fn(out["image_features"], out["text_features"], out["logit_scale"])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(ddp.parameters(), args.grad_clip)
            optimizer.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, MAX_LOGIT_SCALE)
            step += 1
            if log is not None:
                record = {"step": step, "epoch": epoch, "loss": loss.item(), "lr": lr, "logit_scale": model.logit_scale.exp().item(), "grad_norm": grad_norm.item(), "time": time.time() - started}
                log.write(json.dumps(record) + "\n")
                log.flush()
                print(f"step {step}/{args.steps} loss {record['loss']:.4f} lr {lr:.2e} scale {record['logit_scale']:.2f}", flush=True)
        epoch += 1

    if rank == 0:
        model_cfg = open_clip.get_model_config(args.model)
        if isinstance(tokenizer, HFTokenizer):
            save_for_hf(model, tokenizer, model_cfg, args.out, safe_serialization=True)
        else:  # CLIP's BPE: SimpleTokenizer has nothing to save; the config and weights are the folder
            from safetensors.torch import save_file

            save_file(model.state_dict(), os.path.join(args.out, "open_clip_model.safetensors"))
            preprocess_cfg = {k: v for k, v in model.visual.preprocess_cfg.items()}
            Path(args.out, "open_clip_config.json").write_text(json.dumps({"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg}, indent=2))
        log.close()
        print(f"saved the open_clip folder {args.out} after {step} steps in {time.time() - started:.1f} s", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
