"""PyTorch / open_clip oracles for Duet's CLIP model: tests/fixtures/clip/.

Tests read the outputs; they never run this script. To regenerate:

    python3 -m venv .cache/venv-clip
    .cache/venv-clip/bin/pip install torch==2.13.0 numpy pillow scikit-image safetensors ftfy regex
    .cache/venv-clip/bin/pip install --no-deps open_clip_torch==3.3.0
    .cache/venv-clip/bin/python tools/make_clip_fixtures.py        (from the repository root; needs node)

Two small ViT CLIPs, random-initialised with a fixed torch seed, each saved as an open_clip
folder (open_clip_config.json + open_clip_model.safetensors):

  vit-gelu       GELU; CLIP's real tokenizer and vocabulary (49408), so the token embedding
                 dominates the size: text width 8 (2 heads of 4) keeps it under 1 MB; weights
                 stored as F16 (the values are rounded to F16 before anything is computed, so
                 both sides use the same numbers)
  vit-quickgelu  QuickGELU (OpenAI's activation); a 512-token vocabulary with synthetic token ids
                 (start 510, end 511 = the largest id, so argmax pooling finds it); mean ("avg")
                 image pooling and a Linear text projection with bias (proj_bias); F32

Every 1-D parameter (LayerNorm gains and biases, attention and MLP biases) is perturbed from
its init (ones / zeros), so parity tests see them act. Inputs: three real photos from
scikit-image (astronaut, coffee, chelsea), stored small as PNGs in images/, preprocessed by
open_clip's eval transform replicated with Pillow (bicubic resize of the short side, centre
crop with round-half-even offsets, ToTensor, Normalize with CLIP's mean and std in float32);
five texts (three captions, two distractors). Expected outputs, in expected.safetensors (F32):

  pixels (3, 3, S, S)   tokens (5, L) int32   image_features (3, E), text_features (5, E)
  (normalised)   logits_per_image (3, 5)   loss (ClipLoss on the 3 caption pairs)
  siglip_loss (SigLipLoss on the same features, scale 10, bias -10)
  grad.<name>: d loss / d parameter for a representative subset, to stay under 3 MB: every
  tensor of the resblocks in "grad_blocks" (vit-gelu: visual block 1 and text block 0;
  vit-quickgelu: text block 1), and all embeddings, LayerNorms outside blocks, projections and
  logit_scale; token_embedding's gradient only at the rows the tokens use
  (grad_rows.token_embedding.weight; the test checks the other rows are zero).

Finally a Duet-saved checkpoint: tools/save_duet_clip_fixture.ts builds the vit-quickgelu
architecture with Duet's own init, saves it with Duet's saveCheckpoint (BF16) to duet-saved/
and records Duet's features; this script then loads it into open_clip's CLIP with
load_state_dict(strict=True), computes the features with PyTorch and writes the outcome to
duet-saved/open_clip_check.json (+ open_clip_features.safetensors).
"""

import json
import math
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import PIL
import skimage
import skimage.data
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from open_clip_import import import_open_clip  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "clip"
SEED = 20250101
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


oc_model, oc_loss, oc_tokenizer = import_open_clip("model", "loss", "tokenizer")
VERSIONS = {
    "torch": torch.__version__,
    "numpy": np.__version__,
    "pillow": PIL.__version__,
    "scikit-image": skimage.__version__,
    "open_clip_torch": version("open_clip_torch"),
    "python": sys.version.split()[0],
}

CONFIGS = {
    "vit-gelu": {
        "model_cfg": {
            "embed_dim": 32,
            "quick_gelu": False,
            "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 16},
            "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 8, "heads": 2, "layers": 2},
        },
        "storage": torch.float16,
        "tokens": "clip",
        "grad_blocks": ("visual.transformer.resblocks.1.", "transformer.resblocks.0."),
    },
    "vit-quickgelu": {
        "model_cfg": {
            "embed_dim": 32,
            "quick_gelu": True,
            "vision_cfg": {"image_size": 48, "layers": 2, "width": 64, "patch_size": 12, "head_width": 16, "pool_type": "avg"},
            "text_cfg": {"context_length": 24, "vocab_size": 512, "width": 32, "heads": 4, "layers": 2, "proj_bias": True},
        },
        "storage": torch.float32,
        "tokens": "synthetic",
        "grad_blocks": ("transformer.resblocks.1.",),
    },
}

TEXTS = [
    "a photo of an astronaut",
    "a cup of coffee on a saucer",
    "a photo of a cat, a type of pet.",
    "a diagram",
    "an extremely long caption that goes on and on about many different things so that it must be cut short",
]
PHOTOS = {"astronaut": skimage.data.astronaut, "coffee": skimage.data.coffee, "chelsea": skimage.data.chelsea}
SOURCE_SHORT_SIDE = 72


# ---- images --------------------------------------------------------------------------------


def make_sources():
    """Small PNG copies of the photos: the inputs Duet's image pipeline decodes."""
    (OUT / "images").mkdir(parents=True, exist_ok=True)
    for name, load in PHOTOS.items():
        img = Image.fromarray(load()).convert("RGB")
        w, h = img.size
        scale = SOURCE_SHORT_SIDE / min(w, h)
        img = img.resize((round(w * scale), round(h * scale)), Image.Resampling.LANCZOS)
        img.save(OUT / "images" / f"{name}.png", optimize=True)


def preprocess(path, size):
    """open_clip's eval transform (Resize(size, BICUBIC), CenterCrop(size), ToTensor,
    Normalize) as torchvision computes it on a PIL image."""
    img = Image.open(path).convert("RGB")
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    img = img.resize((new_w, new_h), Image.Resampling.BICUBIC)
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    img = img.crop((left, top, left + size, top + size))
    x = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    mean = torch.tensor(CLIP_MEAN, dtype=torch.float32).view(-1, 1, 1)
    std = torch.tensor(CLIP_STD, dtype=torch.float32).view(-1, 1, 1)
    return x.sub_(mean).div_(std)


def pixels(size):
    return torch.stack([preprocess(OUT / "images" / f"{name}.png", size) for name in PHOTOS])


# ---- models --------------------------------------------------------------------------------


def build(model_cfg, storage, seed):
    torch.manual_seed(seed)
    model = oc_model.CLIP(**model_cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1:
                p.add_(0.05 * torch.randn_like(p))
            if storage != torch.float32:
                p.copy_(p.to(storage).to(torch.float32))
    return model.eval()


def synthetic_tokens(n, context, vocab):
    """Rows [sot, random ids..., eot, 0...] with sot = vocab-2, eot = vocab-1 (the largest id)."""
    g = torch.Generator().manual_seed(SEED + 1)
    lengths = [5, context - 2, 0, 9, 3][:n]
    rows = torch.zeros(n, context, dtype=torch.int64)
    for i, k in enumerate(lengths):
        rows[i, 0] = vocab - 2
        rows[i, 1 : 1 + k] = torch.randint(1, vocab - 2, (k,), generator=g)
        rows[i, 1 + k] = vocab - 1
    return rows


def grad_subset(model, tokens, keep_prefixes):
    """The gradients stored: every tensor of the resblocks named by `keep_prefixes`, the
    embeddings, outer LayerNorms, projections and logit_scale; token_embedding only at the
    rows the tokens use."""
    out = {}
    for name, p in model.named_parameters():
        if p.grad is None:
            continue
        if name == "token_embedding.weight":
            rows = torch.unique(tokens).to(torch.int64)
            out["grad_rows.token_embedding.weight"] = rows.to(torch.int32)
            out["grad.token_embedding.weight"] = p.grad[rows].clone()
        elif "resblocks" not in name or name.startswith(keep_prefixes):
            out[f"grad.{name}"] = p.grad.clone()
    return out


def write_open_clip_folder(folder, model_cfg, model, storage, size):
    folder.mkdir(parents=True, exist_ok=True)
    preprocess_cfg = {"size": size, "mode": "RGB", "mean": list(CLIP_MEAN), "std": list(CLIP_STD), "interpolation": "bicubic", "resize_mode": "shortest", "fill_color": 0}
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg}, indent=2) + "\n")
    state = {k: v.detach().to(storage).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "open_clip_model.safetensors"), metadata={"format": "pt"})
    # what open_clip would read back equals what the model computed with
    back = load_file(str(folder / "open_clip_model.safetensors"))
    for k, v in model.state_dict().items():
        assert torch.equal(back[k].to(torch.float32), v), k


def make_config(name, spec):
    cfg = spec["model_cfg"]
    size = cfg["vision_cfg"]["image_size"]
    context = cfg["text_cfg"]["context_length"]
    model = build(cfg, spec["storage"], SEED)
    folder = OUT / name
    write_open_clip_folder(folder, cfg, model, spec["storage"], size)

    images = pixels(size)
    if spec["tokens"] == "clip":
        tokens = oc_tokenizer.SimpleTokenizer()(TEXTS, context_length=context)
    else:
        tokens = synthetic_tokens(len(TEXTS), context, cfg["text_cfg"]["vocab_size"])

    image_features = model.encode_image(images, normalize=True)
    text_features = model.encode_text(tokens, normalize=True)
    logits_per_image, _ = model.get_logits(images, tokens)
    n = images.shape[0]
    loss = oc_loss.ClipLoss()(image_features, text_features[:n], model.logit_scale.exp())
    siglip = oc_loss.SigLipLoss()(image_features, text_features[:n], torch.tensor(10.0), torch.tensor(-10.0))
    model.zero_grad()
    loss.backward()

    expected = {
        "pixels": images,
        "tokens": tokens.to(torch.int32),
        "image_features": image_features,
        "text_features": text_features,
        "logits_per_image": logits_per_image,
        "loss": loss.reshape(()),
        "siglip_loss": siglip.reshape(()),
        **grad_subset(model, tokens, spec["grad_blocks"]),
    }
    save_file({k: v.detach().contiguous() for k, v in expected.items()}, str(folder / "expected.safetensors"))
    meta = {
        "description": spec_description(name),
        "versions": VERSIONS,
        "seed": SEED,
        "storage": str(spec["storage"]).replace("torch.", ""),
        "images": [f"../images/{p}.png" for p in PHOTOS],
        "image_size": size,
        "texts": TEXTS if spec["tokens"] == "clip" else None,
        "tokens": spec["tokens"],
        "loss_pairs": n,
        "grad_blocks": list(spec["grad_blocks"]),
        "loss": float(loss.detach()),
        "siglip_loss": float(siglip),
    }
    (folder / "expected.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"{name}: loss {float(loss.detach()):.6f}, siglip {float(siglip):.6f}")
    return images, tokens


def spec_description(name):
    return {
        "vit-gelu": "GELU ViT CLIP, CLIP tokenizer, F16 storage",
        "vit-quickgelu": "QuickGELU ViT CLIP, avg image pooling, Linear text projection, synthetic tokens, F32 storage",
    }[name]


# ---- the Duet-saved checkpoint ----------------------------------------------------------------


def check_duet_saved(images, tokens):
    folder = OUT / "duet-saved"
    subprocess.run(["npx", "tsx", str(ROOT / "tools" / "save_duet_clip_fixture.ts")], cwd=ROOT, check=True)
    cfg = json.loads((folder / "config.json").read_text())
    duet_block = cfg.pop("duet")
    model = oc_model.CLIP(**cfg).eval()
    state = load_file(str(folder / "model.safetensors"))
    dtypes = sorted({str(v.dtype).replace("torch.", "") for v in state.values()})
    result = model.load_state_dict(state, strict=True)  # raises on any missing or unexpected key
    duet = load_file(str(folder / "duet_features.safetensors"))
    with torch.no_grad():
        ours = {
            "image_features": model.encode_image(images, normalize=True),
            "text_features": model.encode_text(tokens, normalize=True),
        }
        ours["logits_per_image"] = model.get_logits(images, tokens)[0]
    diffs = {k: float((ours[k] - duet[k]).abs().max()) for k in ours}
    save_file({k: v.contiguous() for k, v in ours.items()}, str(folder / "open_clip_features.safetensors"))
    check = {
        "loaded_with": "open_clip.model.CLIP(**config_without_duet_block).load_state_dict(safetensors.torch.load_file(model.safetensors), strict=True)",
        "strict": True,
        "missing_keys": list(result.missing_keys),
        "unexpected_keys": list(result.unexpected_keys),
        "stored_dtypes": dtypes,
        "duet_block": duet_block,
        "max_abs_diff_vs_duet": diffs,
        "versions": VERSIONS,
    }
    (folder / "open_clip_check.json").write_text(json.dumps(check, indent=2) + "\n")
    print(f"duet-saved: strict load ok, max |open_clip - duet|: {diffs}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    make_sources()
    inputs = {name: make_config(name, spec) for name, spec in CONFIGS.items()}
    check_duet_saved(*inputs["vit-quickgelu"])
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"tests/fixtures/clip: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
