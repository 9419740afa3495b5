"""open_clip CoCa oracles for Duet's CoCa: tests/fixtures/coca/, read by tests/vlm/coca-parity.test.ts.

Tests read the outputs; they never run this script. To regenerate (from the repository root):

    python3 -m venv .cache/venv-coca
    .cache/venv-coca/bin/pip install torch==2.13.0 numpy safetensors
    .cache/venv-coca/bin/pip install --no-deps open_clip_torch==3.3.0
    .cache/venv-coca/bin/python tools/make_coca_fixtures.py

Tiny random CoCas (open_clip 3.3.0 coca_model.CoCa), each saved as an open_clip folder
(open_clip_config.json + open_clip_model.safetensors, weights F16: every value is rounded to
F16 first, so both sides compute with the same numbers), then run in float64:

  coca-gelu       GELU; ViT width 48 (3 heads) -> attentional pooler of width 32 with 9 queries
                  (kdim 48 ≠ 32: q/k/v_proj_weight); text and decoder width 32
  coca-quickgelu  QuickGELU; no attentional pooler (open_clip's coca_base layout): the image
                  tokens are ln_post(x)[:, 1:] of the ViT (width 32); decoder LayerScale 0.25 and
                  mlp_ratio 2 in multimodal_cfg (which open_clip's decoder ignores: its MLPs stay 4×)
(The pooler with packed in_proj_weight, kdim = d_model, is checked in tests/fixtures/nn.)

All: image 32 px, patch 8, 2 layers in every tower (MLP ratio 1 in the towers, to stay small),
vocabulary 64, context 12, synthetic token ids
(<start_of_text> = vocab - 2, <end_of_text> = vocab - 1, pad 0). Every 1-D parameter is
perturbed from its init (LayerNorm ones / zeros, zero biases) so their layouts matter;
text_decoder.text_projection is drawn N(0, width^-1) (open_clip leaves it torch.empty); see build()
for what makes the greedy captions depend on the image.

inputs.safetensors (shared): pixels (8, 3, 32, 32) (F16 values), tokens (4, 12) int32: rows
[sot, ids..., eot, 0...] of lengths 5, 12 (no padding), 8, 2.
Per model, expected.safetensors (F64 unless noted):
  image_features, text_features   CoCa.forward on pixels[:4], tokens: normalised (4, 32)
  logit_scale                     exp(logit_scale)
  logits                          the decoder's logits for tokens[:, :-1] (4, 11, vocab)
  prefix_logits                   model(image, tokens[:, :6], output_labels=False)["logits"]: a
                                  prefix as generation reads it (4, 6, vocab)
  contrastive_loss, caption_loss, loss   CoCaLoss(caption_loss_weight=2, clip_loss_weight=1), weighted
  grad.<name>                     d loss / d parameter (F32) for the subset named in expected.json:
                                  every tensor outside the blocks (but conv1 and the token embedding)
                                  and the blocks in grad_blocks
expected.json: the greedy ids (8 images; see greedy()), sot/eot ids, max_length, the gradient
subset, the parameter names in torch's order (named_parameters) and the versions.
"""

import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from open_clip_import import import_open_clip  # noqa: E402

coca_model, oc_loss = import_open_clip("coca_model", "loss")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "coca"
SEED = 20250116
CONTEXT = 12
VOCAB = 64
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
VERSIONS = {"torch": torch.__version__, "numpy": np.__version__, "open_clip_torch": version("open_clip_torch"), "python": sys.version.split()[0]}


def cfg(quick_gelu, vision, multimodal):
    return {
        "embed_dim": 32,
        "quick_gelu": quick_gelu,
        "vision_cfg": {"image_size": 32, "patch_size": 8, "layers": 2, "mlp_ratio": 1, "output_tokens": True, **vision},
        "text_cfg": {"context_length": CONTEXT, "vocab_size": VOCAB, "width": 32, "heads": 4, "layers": 2, "mlp_ratio": 1, "embed_cls": True, "output_tokens": True},
        "multimodal_cfg": {"context_length": CONTEXT, "vocab_size": VOCAB, "width": 32, "heads": 4, "layers": 2, **multimodal},
        "custom_text": True,
    }


MODELS = {
    "coca-gelu": {
        "model_cfg": cfg(False, {"width": 48, "head_width": 16, "attentional_pool": True, "attn_pooler_queries": 9, "attn_pooler_heads": 4}, {"attn_pooler_heads": 4}),
        # gradients stored: these blocks, and every tensor outside the blocks but conv1 and the
        # token embedding (the CLIP parity fixtures check those; this keeps the folder small)
        "grad_blocks": ("text_decoder.cross_attn.0.",),
        # make the captions depend on the image and end early for some (see build)
        "cross_scale": 6.0,
        "ln_q_scale": 4.0,
        "eot_like": 31,
    },
    "coca-quickgelu": {
        "model_cfg": cfg(True, {"width": 32, "head_width": 16}, {"ls_init_value": 0.25, "mlp_ratio": 2}),
        "grad_blocks": ("text_decoder.resblocks.1.",),
        "cross_scale": 10.0,
        "ln_q_scale": None,
        "eot_like": 49,
    },
}
GRAD_SKIPPED = ("visual.conv1.weight", "text.token_embedding.weight")


def build(spec, seed):
    """A random CoCa whose greedy captions vary with the image and sometimes end: at random init
    the decoder barely reads the image, so its cross-attention outputs are scaled up (and the
    pooler's attention sharpened through ln_q's gain), and <end_of_text>'s column of the output
    projection is made a near copy of a token the decoder often picks (chosen by trying a few)."""
    torch.manual_seed(seed)
    model = coca_model.CoCa(**{k: v for k, v in spec["model_cfg"].items() if k != "custom_text"})  # as open_clip's factory pops it
    dec = model.text_decoder
    with torch.no_grad():
        dec.text_projection.normal_(0, dec.width ** -0.5)
        for block in dec.cross_attn:
            block.attn.out_proj.weight.mul_(spec["cross_scale"])
        if spec["ln_q_scale"] is not None:
            model.visual.attn_pool.ln_q.weight.mul_(spec["ln_q_scale"])
        eot = spec["model_cfg"]["text_cfg"]["vocab_size"] - 1
        dec.text_projection[:, eot] = dec.text_projection[:, spec["eot_like"]] + 0.3 * dec.width ** -0.5 * torch.randn(dec.width)
        for _, p in model.named_parameters():
            if p.ndim == 1:
                p.add_(0.05 * torch.randn_like(p))
            p.copy_(p.to(torch.float16).to(torch.float32))
    return model.eval()


def make_inputs():
    g = torch.Generator().manual_seed(SEED)
    # smooth random images in CLIP's normalised range: a coarse grid upsampled, plus noise
    coarse = torch.rand(8, 3, 4, 4, generator=g)
    img = torch.nn.functional.interpolate(coarse, size=32, mode="bilinear", align_corners=False) + 0.1 * torch.rand(8, 3, 32, 32, generator=g)
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    pixels = ((img.clamp(0, 1) - mean) / std).to(torch.float16).to(torch.float32)
    tokens = torch.zeros(4, CONTEXT, dtype=torch.int64)
    for i, n in enumerate([5, CONTEXT, 8, 2]):  # tokens in the row, sot and eot included
        tokens[i, 0] = VOCAB - 2
        tokens[i, 1 : n - 1] = torch.randint(1, VOCAB - 2, (n - 2,), generator=g)
        tokens[i, n - 1] = VOCAB - 1
    return pixels, tokens


def greedy(model, images, sot, eot, max_length):
    """The plainest greedy loop over open_clip's modules (no generate(), no logit processors):
    from [sot], append argmax of the decoder's last logits until eot or max_length tokens."""
    out = []
    with torch.no_grad():
        for i in range(images.shape[0]):
            _, image_embs = model._encode_image(images[i : i + 1])
            ids = [sot]
            while len(ids) - 1 < max_length:
                _, token_embs = model._encode_text(torch.tensor([ids]))
                logits = model.text_decoder(image_embs, token_embs)[0, -1]
                ids.append(int(logits.argmax()))
                if ids[-1] == eot:
                    break
            out.append(ids[1:])
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    pixels, tokens = make_inputs()
    save_file({"pixels": pixels.to(torch.float16), "tokens": tokens.to(torch.int32)}, str(OUT / "inputs.safetensors"))
    loss_fn = oc_loss.CoCaLoss(caption_loss_weight=2.0, clip_loss_weight=1.0, pad_id=0)
    for index, (name, spec) in enumerate(MODELS.items()):
        model_cfg = spec["model_cfg"]
        vocab = VOCAB
        folder = OUT / name
        folder.mkdir(parents=True, exist_ok=True)
        model = build(spec, SEED + index)
        preprocess_cfg = {"size": 32, "mode": "RGB", "mean": list(CLIP_MEAN), "std": list(CLIP_STD), "interpolation": "bicubic", "resize_mode": "shortest", "fill_color": 0}
        (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg}, indent=2) + "\n")
        save_file({k: v.to(torch.float16).contiguous() for k, v in model.state_dict().items()}, str(folder / "open_clip_model.safetensors"), metadata={"format": "pt"})

        model = model.double()
        images = pixels.double()
        text = tokens
        out = model(images[:4], text)
        parts = loss_fn(out["image_features"], out["text_features"], out["logits"], out["labels"], out["logit_scale"], output_dict=True)
        loss = parts["contrastive_loss"] + parts["caption_loss"]
        loss.backward()
        with torch.no_grad():
            prefix_logits = model(images[:4], text[:, :6], output_labels=False)["logits"]
        in_block = lambda n: "resblocks" in n or "cross_attn" in n  # noqa: E731
        grads = {f"grad.{n}": p.grad.to(torch.float32) for n, p in model.named_parameters() if (not in_block(n) and n not in GRAD_SKIPPED) or n.startswith(spec["grad_blocks"])}
        expected = {
            "image_features": out["image_features"],
            "text_features": out["text_features"],
            "logit_scale": out["logit_scale"],
            "logits": out["logits"],
            "prefix_logits": prefix_logits,
            "contrastive_loss": parts["contrastive_loss"],
            "caption_loss": parts["caption_loss"],
            "loss": loss,
            **grads,
        }
        save_file({k: v.detach().contiguous() for k, v in expected.items()}, str(folder / "expected.safetensors"))
        sot, eot = vocab - 2, vocab - 1
        ids = greedy(model, images, sot, eot, CONTEXT)
        meta = {
            "description": name,
            "versions": VERSIONS,
            "sot": sot,
            "eot": eot,
            "max_length": CONTEXT,
            "greedy": ids,
            "grad_blocks": list(spec["grad_blocks"]),
            "grads": sorted(grads),
            "parameter_names": [n for n, _ in model.named_parameters()],
            "parameters": sum(p.numel() for p in model.parameters()),
        }
        (folder / "expected.json").write_text(json.dumps(meta, indent=1) + "\n")
        print(name, "greedy:", ids)


if __name__ == "__main__":
    main()
