"""PyTorch oracles for Duet's autograd: small composite models, their outputs and every gradient.

Writes tests/fixtures/autograd/*.json, read by tests/autograd/fixtures.test.ts, which never needs
Python. Everything is float64 and seeded, so the fixtures are reproducible:

    python3 -m venv .cache/venv && .cache/venv/bin/pip install torch==2.13.0
    .cache/venv/bin/python tools/make_autograd_fixtures.py

Each fixture holds:
    torch_version, seed, description, config  what made it
    inputs   {name: {shape, dtype, data}}       leaves (gradients requested for the float ones)
    outputs  {name: {shape, dtype, data}}       forward results
    grads    {name: {shape, dtype, data}}       d loss / d input, for every input that requires one

Models (the math written out with the same primitive ops Duet has, so each step maps 1:1):
    mlp          layerNorm -> Linear -> GELU (erf) -> Linear -> crossEntropy
    attention    CLIP's residual block: x + attn(ln_1(x)) with a causal mask and 2 heads, then
                 + mlp(ln_2(.)) with QuickGELU; loss = sum(y * probe)
    cross_entropy  label smoothing 0.1 (mean) and 0.2 (sum)
    clip_loss    symmetric InfoNCE of L2-normalised image and text features with a learnable,
                 clamped logit scale (open_clip's ClipLoss)
"""

import json
import math
import os

import torch
import torch.nn.functional as F

SEED = 1234
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "autograd")

torch.set_default_dtype(torch.float64)


def encode(t):
    t = t.detach()
    dtype = "int32" if t.dtype in (torch.int32, torch.int64) else "float64"
    return {"shape": list(t.shape), "dtype": dtype, "data": t.reshape(-1).tolist()}


def write(name, description, config, inputs, outputs, loss):
    """Backward from `loss`, then store inputs, outputs and the gradient of every float input."""
    loss.backward()
    grads = {k: encode(v.grad) for k, v in inputs.items() if v.requires_grad}
    fixture = {
        "torch_version": torch.__version__,
        "seed": SEED,
        "description": description,
        "config": config,
        "inputs": {k: encode(v) for k, v in inputs.items()},
        "outputs": {k: encode(v) for k, v in outputs.items()},
        "grads": grads,
    }
    path = os.path.join(OUT_DIR, f"{name}.json")
    with open(path, "w") as f:
        f.write(dumps(fixture))
    print(f"wrote {os.path.relpath(path)}")


def dumps(fixture):
    """JSON with one line per tensor: readable, and small diffs when a fixture changes."""
    lines = ["{"]
    items = list(fixture.items())
    for n, (key, value) in enumerate(items):
        comma = "," if n < len(items) - 1 else ""
        if key in ("inputs", "outputs", "grads"):
            lines.append(f' "{key}": {{')
            tensors = list(value.items())
            for m, (name, t) in enumerate(tensors):
                inner = "," if m < len(tensors) - 1 else ""
                lines.append(f"  {json.dumps(name)}: {json.dumps(t, separators=(',', ':'))}{inner}")
            lines.append(f" }}{comma}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def leaf(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).requires_grad_()


def mlp():
    torch.manual_seed(SEED)
    B, D, H, C = 4, 6, 8, 5
    inputs = {
        "x": leaf(B, D),
        "ln_weight": (1 + 0.1 * torch.randn(D)).requires_grad_(),
        "ln_bias": leaf(D, scale=0.1),
        "fc1_weight": leaf(H, D, scale=1 / math.sqrt(D)),
        "fc1_bias": leaf(H, scale=0.1),
        "fc2_weight": leaf(C, H, scale=1 / math.sqrt(H)),
        "fc2_bias": leaf(C, scale=0.1),
        "targets": torch.tensor([0, 3, 1, 3], dtype=torch.int64),
    }
    i = inputs
    h = F.layer_norm(i["x"], (D,), i["ln_weight"], i["ln_bias"], eps=1e-5)
    h = F.gelu(h @ i["fc1_weight"].T + i["fc1_bias"])
    logits = h @ i["fc2_weight"].T + i["fc2_bias"]
    loss = F.cross_entropy(logits, i["targets"])
    write(
        "mlp",
        "2-layer MLP: layerNorm -> x @ fc1_weight^T + fc1_bias -> gelu (erf) -> @ fc2_weight^T + fc2_bias -> crossEntropy (mean)",
        {"eps": 1e-5},
        inputs,
        {"logits": logits, "loss": loss},
        loss,
    )


def attention():
    torch.manual_seed(SEED + 1)
    B, T, D, heads, hidden = 2, 4, 8, 2, 16
    Dh = D // heads
    inputs = {
        "x": leaf(B, T, D),
        "ln_1_weight": (1 + 0.1 * torch.randn(D)).requires_grad_(),
        "ln_1_bias": leaf(D, scale=0.1),
        "in_proj_weight": leaf(3 * D, D, scale=1 / math.sqrt(D)),
        "in_proj_bias": leaf(3 * D, scale=0.1),
        "out_proj_weight": leaf(D, D, scale=1 / math.sqrt(D)),
        "out_proj_bias": leaf(D, scale=0.1),
        "ln_2_weight": (1 + 0.1 * torch.randn(D)).requires_grad_(),
        "ln_2_bias": leaf(D, scale=0.1),
        "c_fc_weight": leaf(hidden, D, scale=1 / math.sqrt(D)),
        "c_fc_bias": leaf(hidden, scale=0.1),
        "c_proj_weight": leaf(D, hidden, scale=1 / math.sqrt(hidden)),
        "c_proj_bias": leaf(D, scale=0.1),
        "probe": torch.randn(B, T, D),  # a fixed cotangent: loss = sum(y * probe)
    }
    i = inputs
    mask = torch.full((T, T), float("-inf")).triu(1)  # 0 on and below the diagonal

    def heads_first(t):  # (B, T, D) -> (B, heads, T, Dh)
        return t.reshape(B, T, heads, Dh).transpose(1, 2)

    h = F.layer_norm(i["x"], (D,), i["ln_1_weight"], i["ln_1_bias"], eps=1e-5)
    q, k, v = (h @ i["in_proj_weight"].T + i["in_proj_bias"]).split(D, dim=-1)
    scores = heads_first(q) @ heads_first(k).transpose(-2, -1) / math.sqrt(Dh) + mask
    weights = scores.softmax(dim=-1)
    attended = (weights @ heads_first(v)).transpose(1, 2).reshape(B, T, D)
    x1 = i["x"] + attended @ i["out_proj_weight"].T + i["out_proj_bias"]
    h2 = F.layer_norm(x1, (D,), i["ln_2_weight"], i["ln_2_bias"], eps=1e-5)
    u = h2 @ i["c_fc_weight"].T + i["c_fc_bias"]
    u = u * torch.sigmoid(1.702 * u)  # QuickGELU
    y = x1 + u @ i["c_proj_weight"].T + i["c_proj_bias"]
    loss = (y * i["probe"]).sum()
    write(
        "attention",
        "CLIP residual block: x1 = x + attn(ln_1(x)) (2 heads, causal mask, packed in_proj), y = x1 + c_proj(quickGelu(c_fc(ln_2(x1)))); loss = sum(y * probe)",
        {"heads": heads, "eps": 1e-5},
        inputs,
        {"attention_weights": weights, "y": y, "loss": loss},
        loss,
    )


def cross_entropy():
    torch.manual_seed(SEED + 2)
    N, C = 6, 5
    inputs = {
        "logits_a": leaf(N, C, scale=2.0),
        "logits_b": leaf(N, C, scale=2.0),
        "targets": torch.tensor([4, 0, 2, 2, 1, 3], dtype=torch.int64),
    }
    i = inputs
    loss_a = F.cross_entropy(i["logits_a"], i["targets"], label_smoothing=0.1)
    loss_b = F.cross_entropy(i["logits_b"], i["targets"], label_smoothing=0.2, reduction="sum")
    write(
        "cross_entropy",
        "crossEntropy with label smoothing: loss_a = mean reduction, smoothing 0.1; loss_b = sum reduction, smoothing 0.2; loss = loss_a + loss_b",
        {"a": {"labelSmoothing": 0.1, "reduction": "mean"}, "b": {"labelSmoothing": 0.2, "reduction": "sum"}},
        inputs,
        {"loss_a": loss_a, "loss_b": loss_b},
        loss_a + loss_b,
    )


def clip_loss():
    torch.manual_seed(SEED + 3)
    B, E = 4, 6
    inputs = {
        "image_embeddings": leaf(B, E),
        "text_embeddings": leaf(B, E),
        "logit_scale": torch.tensor(math.log(1 / 0.07)).requires_grad_(),
    }
    i = inputs
    image_features = F.normalize(i["image_embeddings"], dim=-1)
    text_features = F.normalize(i["text_embeddings"], dim=-1)
    scale = i["logit_scale"].clamp(0, math.log(100)).exp()
    logits_per_image = scale * image_features @ text_features.T
    logits_per_text = logits_per_image.T
    labels = torch.arange(B)
    loss = (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text, labels)) / 2
    write(
        "clip_loss",
        "symmetric InfoNCE: f = l2Normalize(embeddings), logits_per_image = exp(clamp(logit_scale, 0, ln 100)) * f_img @ f_txt^T, "
        "loss = (crossEntropy(logits_per_image, arange) + crossEntropy(logits_per_image^T, arange)) / 2",
        {"logit_scale_max": math.log(100)},
        inputs,
        {"logits_per_image": logits_per_image, "loss": loss},
        loss,
    )


if __name__ == "__main__":
    os.makedirs(OUT_DIR, exist_ok=True)
    mlp()
    attention()
    cross_entropy()
    clip_loss()
