"""PyTorch oracles for CoCa's layers in @duet/nn: tests/fixtures/nn/{mha_kdim, cross_attn_block,
cross_attn_block_ls, attn_pooler, attn_pooler_packed}.json, read by tests/nn/cross-attention.test.ts.

Same format as tools/make_nn_fixtures.py (read by tests/nn/support/fixtures.ts): each layer runs in
float64 and float32 on the same values; its parameters are stored under their state-dict names;
gradients are those of sum(output * upstream) for a stored random upstream, of every input and
parameter. Never needed at test time; to regenerate (torch 2.13, open_clip_torch 3.3.0):

    /path/to/venv/bin/python tools/make_coca_nn_fixtures.py
"""

import copy
import json
import os
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from open_clip_import import import_open_clip  # noqa: E402

(oc_transformer,) = import_open_clip("transformer")
SEED = 4321
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "nn"
VERSIONS = {"torch": torch.__version__, "numpy": np.__version__, "open_clip_torch": version("open_clip_torch")}


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32, torch.bool):
        return {"shape": list(t.shape), "dtype": "int32", "data": [int(v) for v in t.to(torch.int64).flatten().tolist()]}
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "data": [float(v) for v in t.flatten().tolist()]}


def layer_case(module, inputs, forward, upstreams, dtype):
    m = copy.deepcopy(module).to(dtype)
    leaves = {}
    for k, v in inputs.items():
        v = v.to(dtype).clone() if v.is_floating_point() else v.clone()
        if v.is_floating_point():
            v.requires_grad_(True)
        leaves[k] = v
    outs = forward(m, **leaves)
    ups = {k: u.to(dtype) for k, u in upstreams.items()}
    sum((outs[k] * ups[k]).sum() for k in outs).backward()
    grads = {f"input.{k}": v.grad for k, v in leaves.items() if v.is_floating_point()}
    grads.update({n: p.grad for n, p in m.named_parameters()})
    return {
        "inputs": {k: enc(v) for k, v in leaves.items()},
        "state_dict": {k: enc(v) for k, v in m.state_dict().items()},
        "outputs": {k: enc(v) for k, v in outs.items()},
        "upstream": {k: enc(v) for k, v in ups.items()},
        "grads": {k: enc(g) for k, g in grads.items()},
    }


def layer_fixture(name, description, config, build, inputs, forward):
    torch.manual_seed(SEED)
    module = perturb(build()).double()
    ins = {k: v() if callable(v) else v for k, v in inputs.items()}
    with torch.no_grad():
        probe = forward(copy.deepcopy(module), **{k: v.clone() for k, v in ins.items()})
    upstreams = {k: torch.randn(v.shape, dtype=torch.float64) for k, v in probe.items()}
    cases = {str(dt).replace("torch.", ""): layer_case(module, ins, forward, upstreams, dt) for dt in (torch.float64, torch.float32)}
    OUT.mkdir(parents=True, exist_ok=True)
    payload = {"versions": VERSIONS, "seed": SEED, "description": description, "config": config, "cases": cases}
    with open(OUT / f"{name}.json", "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {name}.json")


def perturb(m):
    """LayerNorm gains and biases start at 1 and 0, attention biases at 0: perturb every 1-D
    parameter so its layout and gradient are tested."""
    with torch.no_grad():
        for _, p in m.named_parameters():
            if p.ndim == 1:
                p.add_(0.2 * torch.randn_like(p))
    return m


def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)


def main():
    def mha_kdim(m, q, k, v, pad):
        return {"y": m(q, k, v, key_padding_mask=pad.bool(), need_weights=False)[0]}

    layer_fixture(
        "mha_kdim",
        "nn.MultiheadAttention(8, 2, kdim=6, vdim=5, batch_first=True): q/k/v_proj_weight stored apart; q (2,3,8), k (2,4,6), v (2,4,5), key_padding_mask (1 = pad)",
        {"embed_dim": 8, "heads": 2, "kdim": 6, "vdim": 5},
        lambda: nn.MultiheadAttention(8, 2, kdim=6, vdim=5, batch_first=True),
        {"q": lambda: randn(2, 3, 8), "k": lambda: randn(2, 4, 6), "v": lambda: randn(2, 4, 5), "pad": torch.tensor([[0, 0, 1, 0], [0, 0, 0, 1]])},
        mha_kdim,
    )

    def cross(m, x, context):
        return {"y": m(x, k_x=context, v_x=context)}

    layer_fixture(
        "cross_attn_block",
        "open_clip ResidualAttentionBlock(8, 2, mlp_ratio=4, is_cross_attention=True, GELU): x (2,3,8) attends to context (2,5,8) through ln_1_kv",
        {"width": 8, "heads": 2, "mlp_ratio": 4, "activation": "gelu"},
        lambda: oc_transformer.ResidualAttentionBlock(8, 2, 4.0, is_cross_attention=True),
        {"x": lambda: randn(2, 3, 8), "context": lambda: randn(2, 5, 8) * 1.5 + 0.3},
        cross,
    )
    layer_fixture(
        "cross_attn_block_ls",
        "open_clip ResidualAttentionBlock(8, 4, mlp_ratio=2, ls_init_value=0.5, QuickGELU, is_cross_attention=True): ls_1, ln_1_kv, ls_2 in open_clip's order",
        {"width": 8, "heads": 4, "mlp_ratio": 2, "activation": "quickGelu", "ls_init_value": 0.5},
        lambda: oc_transformer.ResidualAttentionBlock(8, 4, 2.0, ls_init_value=0.5, act_layer=oc_transformer.QuickGELU, is_cross_attention=True),
        {"x": lambda: randn(2, 4, 8), "context": lambda: randn(2, 3, 8)},
        cross,
    )
    layer_fixture(
        "attn_pooler",
        "open_clip AttentionalPooler(d_model=8, context_dim=6, n_head=2, n_queries=3): x (2,5,6) -> (2,3,8); kdim = vdim = 6, so q/k/v_proj_weight",
        {"d_model": 8, "context_dim": 6, "n_head": 2, "n_queries": 3},
        lambda: oc_transformer.AttentionalPooler(8, 6, n_head=2, n_queries=3),
        {"x": lambda: randn(2, 5, 6) * 2},
        lambda m, x: {"y": m(x)},
    )
    layer_fixture(
        "attn_pooler_packed",
        "open_clip AttentionalPooler(d_model=8, context_dim=8, n_head=4, n_queries=2): x (3,4,8) -> (3,2,8); same widths, so in_proj_weight",
        {"d_model": 8, "context_dim": 8, "n_head": 4, "n_queries": 2},
        lambda: oc_transformer.AttentionalPooler(8, 8, n_head=4, n_queries=2),
        {"x": lambda: randn(3, 4, 8)},
        lambda m, x: {"y": m(x)},
    )


if __name__ == "__main__":
    main()
