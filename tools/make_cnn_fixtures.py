"""PyTorch oracles for Duet's small CNN image tower (packages/vlm/src/model/cnn-tower.ts):
tests/fixtures/clip/cnn-matrix/ and tests/fixtures/clip/cnn-mlp/.

Tests read the outputs; they never run this script. To regenerate (torch, numpy and
safetensors only: no open_clip, no Pillow):

    python3 -m venv .cache/venv-torch
    .cache/venv-torch/bin/pip install torch==2.13.0 numpy safetensors
    .cache/venv-torch/bin/python tools/make_cnn_fixtures.py        (from the repository root)

The tower is Duet's own (the seed's SimpleVLM), with no open_clip counterpart, so CnnTower
below writes it in torch from the architecture documented in cnn-tower.ts, with the same
parameter names as Duet's state dict:

    for each block b:  x = max_pool2d(relu(conv_b(x)), 2)      conv 3x3, padding 1 (floor pooling)
    pooled = x.mean over (H, W)
    "matrix" head:     y = pooled @ proj                       proj [C_last, embed]
    "mlp" head:        y = W2 gelu(W1 pooled)                  proj.0.weight, proj.2.weight, no biases
                                                               (exact erf GELU)

Two towers, their weights drawn from torch's default init under a fixed seed (conv biases are
not zero there, so they act):

  cnn-matrix  blocks [8, 16], "matrix" head, embed 16, on the three real photos of
              vit-quickgelu/expected.safetensors ("pixels": 48 px, CLIP-normalised; read from
              there, not copied); 48 -> 24 -> 12
  cnn-mlp     blocks [4, 6, 8], "mlp" head (hidden 12), embed 8, on two random N(0, 1) images of
              21 px stored as "pixels"; 21 -> 10 -> 5 -> 2, so max-pooling drops an odd row and
              column at every block

Each folder holds weights.safetensors (F32, Duet's names) and expected.safetensors (F32):
features (N, embed) before normalisation, target (N, embed), loss, and grad.<name> for every
parameter, of the scalar loss = sum(normalize(features) * target), which reaches every
parameter through the L2 normalisation. The oracle runs in float64 on the float32 weights and
pixels, so a difference is Duet's float32 rounding alone. expected.json records the
architecture, the versions and the seed.
"""

import json
import sys
from pathlib import Path

import numpy as np
import safetensors
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "clip"
SEED = 20250607
VERSIONS = {
    "torch": torch.__version__,
    "numpy": np.__version__,
    "safetensors": safetensors.__version__,
    "python": sys.version.split()[0],
}

SPECS = {
    "cnn-matrix": {"channels": [8, 16], "projection": "matrix", "hidden": None, "embed": 16, "pixels": "vit-quickgelu"},
    "cnn-mlp": {"channels": [4, 6, 8], "projection": "mlp", "hidden": 12, "embed": 8, "pixels": (2, 21)},
}


class ConvBlock(nn.Module):
    """conv 3x3 (padding 1) -> ReLU -> max-pool 2x2; the child is named "conv" as in Duet."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)

    def forward(self, x):
        return F.max_pool2d(F.relu(self.conv(x)), 2)


class CnnTower(nn.Module):
    """Duet's ConvImageTower in torch: blocks.B.conv.{weight,bias}, then proj or proj.{0,2}."""

    def __init__(self, channels, embed, projection, hidden):
        super().__init__()
        self.blocks = nn.ModuleList(ConvBlock(3 if i == 0 else channels[i - 1], c) for i, c in enumerate(channels))
        last = channels[-1]
        if projection == "matrix":
            self.proj = nn.Parameter(torch.randn(last, embed) * last**-0.5)
        else:
            self.proj = nn.Sequential(nn.Linear(last, hidden, bias=False), nn.GELU(), nn.Linear(hidden, embed, bias=False))

    def forward(self, images):
        x = images
        for block in self.blocks:
            x = block(x)
        pooled = x.mean(dim=(2, 3))
        return pooled @ self.proj if isinstance(self.proj, nn.Parameter) else self.proj(pooled)


def pixels_for(spec, generator):
    source = spec["pixels"]
    if isinstance(source, str):
        return load_file(str(OUT / source / "expected.safetensors"))["pixels"].to(torch.float32)
    n, size = source
    return torch.randn(n, 3, size, size, generator=generator, dtype=torch.float32)


def make(name, spec, seed):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    tower = CnnTower(spec["channels"], spec["embed"], spec["projection"], spec["hidden"]).to(torch.float32)
    weights = {k: v.detach().clone().contiguous() for k, v in tower.state_dict().items()}
    pixels = pixels_for(spec, generator)
    target = torch.randn(pixels.shape[0], spec["embed"], generator=generator, dtype=torch.float32)

    oracle = tower.to(torch.float64)
    oracle.zero_grad()
    features = oracle(pixels.to(torch.float64))
    loss = (F.normalize(features, dim=-1) * target.to(torch.float64)).sum()
    loss.backward()

    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(folder / "weights.safetensors"))
    expected = {"features": features.detach(), "target": target, "loss": loss.detach()}
    if not isinstance(spec["pixels"], str):
        expected["pixels"] = pixels
    for pname, p in oracle.named_parameters():
        expected[f"grad.{pname}"] = p.grad
    save_file({k: v.to(torch.float32).contiguous() for k, v in expected.items()}, str(folder / "expected.safetensors"))
    hidden = "" if spec["hidden"] is None else f" (hidden {spec['hidden']})"
    meta = {
        "description": f"Duet's CNN image tower in torch (tools/make_cnn_fixtures.py): blocks {spec['channels']}, "
        f"'{spec['projection']}' head{hidden}, embed {spec['embed']}; loss = sum(normalize(features) * target); "
        "oracle in float64, stored F32",
        "channels": spec["channels"],
        "projection": spec["projection"],
        "projection_hidden": spec["hidden"],
        "embed_dim": spec["embed"],
        "pixels": f"{spec['pixels']}/expected.safetensors pixels" if isinstance(spec["pixels"], str) else "expected.safetensors pixels",
        "image_size": int(pixels.shape[-1]),
        "parameters": sorted(weights),
        "seed": seed,
        "versions": VERSIONS,
    }
    (folder / "expected.json").write_text(json.dumps(meta, indent=2) + "\n")
    sizes = sum(f.stat().st_size for f in folder.iterdir())
    print(f"wrote {folder.relative_to(ROOT)} ({sizes / 1024:.1f} KB): loss {loss.item():.6f}, {len(weights)} parameters")


def main():
    for k, (name, spec) in enumerate(SPECS.items()):
        make(name, spec, SEED + k)


if __name__ == "__main__":
    main()
