"""PyTorch oracles for @duet/nn: layers, optimizers, schedules, clipping, initialiser constants.

Writes small JSON fixtures to tests/fixtures/nn/, which tests/nn/*.test.ts compare against.
Never needed at test time; rerun only to regenerate:

    python3 -m venv .cache/venv-nn
    .cache/venv-nn/bin/pip install torch==2.13.0 numpy
    .cache/venv-nn/bin/pip install --no-deps open_clip_torch==3.3.0
    .cache/venv-nn/bin/python tools/make_nn_fixtures.py

Layers run twice on the same values: in float64 (tight comparisons) and in float32 (the dtype
models train in). Each layer's parameters are written under their state-dict names, so the
tests load them with loadStateDict and so check the names too. Gradients are for the loss
sum(output * upstream), with `upstream` a random tensor stored in the fixture.

open_clip is imported without its package __init__ (which pulls in torchvision, timm and
huggingface): only open_clip.transformer / open_clip.model and open_clip_train.scheduler are
used, and torchvision's FrozenBatchNorm2d (imported by open_clip.utils, used only to freeze
ResNet towers) is stubbed.
"""

import copy
import importlib.util
import json
import math
import os
import sys
import types
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SEED = 1234
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "nn")


def import_open_clip():
    spec = importlib.util.find_spec("open_clip")
    pkg = types.ModuleType("open_clip")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules["open_clip"] = pkg
    tv, ops, misc = (types.ModuleType(n) for n in ("torchvision", "torchvision.ops", "torchvision.ops.misc"))

    class FrozenBatchNorm2d:  # stub: never used by the code paths exercised here
        pass

    misc.FrozenBatchNorm2d = FrozenBatchNorm2d
    sys.modules.update({"torchvision": tv, "torchvision.ops": ops, "torchvision.ops.misc": misc})
    import open_clip.model as oc_model
    import open_clip.transformer as oc_transformer
    import open_clip_train.scheduler as oc_scheduler
    from importlib.metadata import version

    return oc_transformer, oc_model, oc_scheduler, version("open_clip_torch")


oc_transformer, oc_model, oc_scheduler, OPEN_CLIP_VERSION = import_open_clip()
VERSIONS = {"torch": torch.__version__, "numpy": np.__version__, "open_clip_torch": OPEN_CLIP_VERSION}


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32, torch.bool):
        return {"shape": list(t.shape), "dtype": "int32", "data": [int(v) for v in t.to(torch.int64).flatten().tolist()]}
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "data": [float(v) for v in t.flatten().tolist()]}


def write(name, payload):
    os.makedirs(OUT, exist_ok=True)
    payload = {"versions": VERSIONS, "seed": SEED, **payload}
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {name}.json")


def cast(t, dtype):
    return t.to(dtype) if t.is_floating_point() else t


# ---- layers ------------------------------------------------------------------------


def layer_case(module, inputs, forward, upstreams, dtype):
    """Runs forward on copies in `dtype`; returns inputs, state dict, outputs, upstreams and grads."""
    m = copy.deepcopy(module).to(dtype)
    leaves = {}
    for k, v in inputs.items():
        v = cast(v, dtype).clone()
        if v.is_floating_point():
            v.requires_grad_(True)
        leaves[k] = v
    outs = forward(m, **leaves)
    ups = {k: cast(u, dtype) for k, u in upstreams.items()}
    loss = sum((outs[k] * ups[k]).sum() for k in outs)
    loss.backward()
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
    module = build().double()
    ins = {k: v() if callable(v) else v for k, v in inputs.items()}
    with torch.no_grad():
        probe = forward(copy.deepcopy(module), **{k: v.clone() for k, v in ins.items()})
    upstreams = {k: torch.randn(v.shape, dtype=torch.float64) for k, v in probe.items()}
    cases = {str(dt).replace("torch.", ""): layer_case(module, ins, forward, upstreams, dt) for dt in (torch.float64, torch.float32)}
    write(name, {"description": description, "config": config, "cases": cases})


def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)


def causal(n):
    return torch.full((n, n), float("-inf"), dtype=torch.float64).triu(1)


def make_layers():
    layer_fixture("linear", "nn.Linear(5, 3): y = x @ W^T + b", {"in": 5, "out": 3, "bias": True},
                  lambda: nn.Linear(5, 3), {"x": lambda: randn(2, 4, 5)}, lambda m, x: {"y": m(x)})
    layer_fixture("linear_nobias", "nn.Linear(4, 6, bias=False)", {"in": 4, "out": 6, "bias": False},
                  lambda: nn.Linear(4, 6, bias=False), {"x": lambda: randn(3, 4)}, lambda m, x: {"y": m(x)})
    layer_fixture("conv2d", "nn.Conv2d(3, 4, 3, stride=2, padding=1)", {"in": 3, "out": 4, "kernel": 3, "stride": 2, "padding": 1, "bias": True},
                  lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), {"x": lambda: randn(2, 3, 7, 7)}, lambda m, x: {"y": m(x)})
    layer_fixture("conv2d_patch", "ViT patch embedding: nn.Conv2d(3, 6, 4, stride=4, bias=False)", {"in": 3, "out": 6, "kernel": 4, "stride": 4, "padding": 0, "bias": False},
                  lambda: nn.Conv2d(3, 6, 4, stride=4, bias=False), {"x": lambda: randn(2, 3, 8, 8)}, lambda m, x: {"y": m(x)})

    def perturbed_ln():
        ln = nn.LayerNorm(6)
        with torch.no_grad():
            ln.weight.add_(0.3 * torch.randn(6))
            ln.bias.add_(0.3 * torch.randn(6))
        return ln

    layer_fixture("layernorm", "nn.LayerNorm(6), eps 1e-5, weight and bias perturbed from ones/zeros", {"shape": [6], "eps": 1e-5},
                  perturbed_ln, {"x": lambda: randn(2, 3, 6) * 2 + 0.5}, lambda m, x: {"y": m(x)})
    layer_fixture("embedding", "nn.Embedding(10, 4), ids with repeats", {"num": 10, "dim": 4},
                  lambda: nn.Embedding(10, 4), {"ids": torch.tensor([[1, 3, 3, 0, 9], [9, 2, 1, 1, 7]])}, lambda m, ids: {"y": m(ids)})

    def acts(m, x):
        return {"gelu": F.gelu(x), "gelu_tanh": F.gelu(x, approximate="tanh"), "quick_gelu": oc_transformer.QuickGELU()(x), "relu": F.relu(x), "tanh": torch.tanh(x)}

    layer_fixture("activations", "F.gelu (erf), F.gelu(approximate='tanh'), open_clip QuickGELU, relu, tanh", {},
                  lambda: nn.Identity(), {"x": lambda: randn(3, 7) * 3}, acts)

    def mlp():
        return nn.Sequential(OrderedDict([("c_fc", nn.Linear(6, 24)), ("gelu", nn.GELU()), ("c_proj", nn.Linear(24, 6))]))

    layer_fixture("mlp", "open_clip's MLP: Sequential(c_fc Linear(6,24), gelu GELU, c_proj Linear(24,6))", {"width": 6, "hidden": 24, "activation": "gelu"},
                  mlp, {"x": lambda: randn(2, 3, 6)}, lambda m, x: {"y": m(x)})

    def mha():
        m = nn.MultiheadAttention(8, 2, batch_first=True)
        with torch.no_grad():  # non-zero biases, so their gradients and layout are tested
            m.in_proj_bias.normal_(0, 0.2)
            m.out_proj.bias.normal_(0, 0.2)
        return m

    layer_fixture("mha_causal", "nn.MultiheadAttention(8, 2, batch_first=True), self-attention, attn_mask = causal (-inf above the diagonal), need_weights=False",
                  {"embed_dim": 8, "heads": 2, "batch_first": True, "mask": "causal"},
                  mha, {"x": lambda: randn(2, 5, 8)}, lambda m, x: {"y": m(x, x, x, attn_mask=causal(5).to(x.dtype), need_weights=False)[0]})

    def cross(m, q, kv, pad):
        y, w = m(q, kv, kv, key_padding_mask=pad.bool(), need_weights=True, average_attn_weights=True)
        return {"y": y, "weights": w}

    layer_fixture("mha_cross", "nn.MultiheadAttention(8, 2, batch_first=True), cross-attention q (2,3,8), k = v (2,4,8), key_padding_mask (1 = pad), need_weights=True (averaged over heads)",
                  {"embed_dim": 8, "heads": 2, "batch_first": True},
                  mha, {"q": lambda: randn(2, 3, 8), "kv": lambda: randn(2, 4, 8), "pad": torch.tensor([[0, 0, 0, 1], [0, 1, 0, 0]])}, cross)

    def mha_seq_first():
        return nn.MultiheadAttention(8, 4, batch_first=False)

    layer_fixture("mha_seq_first", "nn.MultiheadAttention(8, 4, batch_first=False): x is (L, B, E), causal mask",
                  {"embed_dim": 8, "heads": 4, "batch_first": False},
                  mha_seq_first, {"x": lambda: randn(4, 2, 8)}, lambda m, x: {"y": m(x, x, x, attn_mask=causal(4).to(x.dtype), need_weights=False)[0]})

    def block(m, x):
        return {"y": m(x, attn_mask=causal(x.shape[1]).to(x.dtype))}

    layer_fixture("resblock", "open_clip.transformer.ResidualAttentionBlock(8, 2, mlp_ratio=4, act_layer=QuickGELU), causal mask",
                  {"width": 8, "heads": 2, "mlp_ratio": 4, "activation": "quickGelu"},
                  lambda: perturb_norms(oc_transformer.ResidualAttentionBlock(8, 2, 4.0, act_layer=oc_transformer.QuickGELU)), {"x": lambda: randn(2, 5, 8)}, block)
    layer_fixture("resblock_ls", "open_clip ResidualAttentionBlock(8, 2, mlp_ratio=2, ls_init_value=0.5, GELU), no mask",
                  {"width": 8, "heads": 2, "mlp_ratio": 2, "activation": "gelu", "ls_init_value": 0.5},
                  lambda: perturb_norms(oc_transformer.ResidualAttentionBlock(8, 2, 2.0, ls_init_value=0.5)), {"x": lambda: randn(2, 3, 8)}, lambda m, x: {"y": m(x)})
    layer_fixture("transformer", "open_clip.transformer.Transformer(width 8, layers 2, heads 2, GELU), causal mask",
                  {"width": 8, "layers": 2, "heads": 2, "mlp_ratio": 4, "activation": "gelu"},
                  lambda: perturb_norms(oc_transformer.Transformer(8, 2, 2)), {"x": lambda: randn(2, 4, 8)}, block)

    def pools(m, x):
        return {"avg": F.avg_pool2d(x, 3, 2, 1), "max": F.max_pool2d(x, 3, 2, 1), "adaptive": F.adaptive_avg_pool2d(x, (2, 3)), "avg_default_stride": F.avg_pool2d(x, 2)}

    layer_fixture("pooling", "avg_pool2d(3, 2, 1) (count_include_pad), max_pool2d(3, 2, 1), adaptive_avg_pool2d((2, 3)), avg_pool2d(2)", {},
                  lambda: nn.Identity(), {"x": lambda: randn(2, 3, 7, 6)}, pools)


def perturb_norms(m):
    """LayerNorm gains/biases and MHA biases start at 1 / 0: perturb them so their layout matters."""
    with torch.no_grad():
        for n, p in m.named_parameters():
            if p.ndim == 1:
                p.add_(0.2 * torch.randn_like(p))
    return m


def make_batchnorm():
    torch.manual_seed(SEED)
    base = nn.BatchNorm2d(3).double()
    with torch.no_grad():
        base.weight.add_(0.3 * torch.randn(3, dtype=torch.float64))
        base.bias.add_(0.3 * torch.randn(3, dtype=torch.float64))
    xs = [randn(4, 3, 5, 5) * 2 + 1, randn(4, 3, 5, 5) * 0.5 - 1, randn(2, 3, 5, 5)]
    ups = [randn(4, 3, 5, 5), randn(4, 3, 5, 5), randn(2, 3, 5, 5)]
    modes = ["train", "train", "eval"]
    cases = {}
    for dt in (torch.float64, torch.float32):
        m = copy.deepcopy(base).to(dt)
        initial = {k: enc(v) for k, v in m.state_dict().items()}
        steps = []
        for x, u, mode in zip(xs, ups, modes):
            m.train(mode == "train")
            m.zero_grad()
            xv = x.to(dt).clone().requires_grad_(True)
            y = m(xv)
            (y * u.to(dt)).sum().backward()
            steps.append({
                "mode": mode, "x": enc(xv), "upstream": enc(u.to(dt)), "y": enc(y),
                "grads": {"input.x": enc(xv.grad), "weight": enc(m.weight.grad), "bias": enc(m.bias.grad)},
                "state_after": {k: enc(v) for k, v in m.state_dict().items()},
            })
        cases[str(dt).replace("torch.", "")] = {"state_dict": initial, "steps": steps}
    write("batchnorm2d", {"description": "nn.BatchNorm2d(3), momentum 0.1: two train steps (batch stats, running stats updated), then eval (running stats)", "config": {"features": 3, "momentum": 0.1, "eps": 1e-5}, "cases": cases})


# ---- optimizers ----------------------------------------------------------------------


class TinyModel(nn.Module):
    """out = fc2(tanh(ln(fc1(x)))) * exp(logit_scale); loss = mean((out - y)^2)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.ln = nn.LayerNorm(4)
        self.fc2 = nn.Linear(4, 2)
        self.logit_scale = nn.Parameter(torch.tensor(0.3))

    def forward(self, x):
        return self.fc2(torch.tanh(self.ln(self.fc1(x)))) * self.logit_scale.exp()


def open_clip_groups(model, wd, lrs=None):
    # open_clip_train/main.py (3.3.0), verbatim:
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or 'logit_scale' in n  # noqa: E731
    include = lambda n, p: not exclude(n, p)  # noqa: E731
    named_parameters = list(model.named_parameters())
    gain_or_bias = [(n, p) for n, p in named_parameters if exclude(n, p) and p.requires_grad]
    rest = [(n, p) for n, p in named_parameters if include(n, p) and p.requires_grad]
    groups = [{"params": [p for _, p in gain_or_bias], "weight_decay": 0.0}, {"params": [p for _, p in rest], "weight_decay": wd}]
    names = [[n for n, _ in gain_or_bias], [n for n, _ in rest]]
    if lrs:
        for g, lr in zip(groups, lrs):
            g["lr"] = lr
    return groups, names


def run_optimizer(make_opt, steps, dtype, make_schedule=None):
    """`make_opt(model)` -> (optimizer, names per group); `make_schedule(optimizer)` -> lr adjuster."""
    torch.manual_seed(SEED)
    model = TinyModel().double()
    x = randn(8, 3)
    y = randn(8, 2)
    model = model.to(dtype)
    initial = {k: enc(v) for k, v in model.state_dict().items()}
    opt, names = make_opt(model)
    schedule = make_schedule(opt) if make_schedule else None
    history = []
    for step in range(steps):
        lr = schedule(step) if schedule else None
        opt.zero_grad()
        loss = ((model(x.to(dtype)) - y.to(dtype)) ** 2).mean()
        loss.backward()
        opt.step()
        history.append({"lr": lr, "loss": float(loss.detach()), "params": {k: enc(v) for k, v in model.named_parameters()}})
    final_state = {}
    for gi, g in enumerate(opt.param_groups):
        for n, p in zip(names[gi], g["params"]):
            for slot, v in opt.state[p].items():
                final_state[f"{n}.{slot}"] = float(v) if slot == "step" else enc(v)
    return {"inputs": {"x": enc(x.to(dtype)), "y": enc(y.to(dtype))}, "state_dict": initial, "groups": names, "history": history, "final_state": final_state}


def make_adamw():
    def groups_opt(model):
        groups, names = open_clip_groups(model, 0.2, lrs=[2e-2, 1e-2])
        return torch.optim.AdamW(groups, lr=1e-2, betas=(0.9, 0.98), eps=1e-6, foreach=False), names

    def amsgrad_opt(model):
        groups, names = open_clip_groups(model, 0.1)
        return torch.optim.AdamW(groups, lr=5e-2, amsgrad=True, foreach=False), names

    scenarios = {"groups": {}, "cosine_amsgrad": {}}
    for dt in (torch.float64, torch.float32):
        key = str(dt).replace("torch.", "")
        scenarios["groups"][key] = run_optimizer(groups_opt, 20, dt)
        scenarios["cosine_amsgrad"][key] = run_optimizer(amsgrad_opt, 20, dt, make_schedule=lambda opt: oc_scheduler.cosine_lr(opt, 5e-2, 4, 20))
    write("adamw", {
        "description": "torch.optim.AdamW (foreach=False) on TinyModel (fc1 Linear(3,4), ln LayerNorm(4), fc2 Linear(4,2), logit_scale 0-d; out = fc2(tanh(ln(fc1(x)))) * exp(logit_scale), loss = mean((out - y)^2)), open_clip's two groups (gain/bias/logit_scale: wd 0; the rest: wd). "
                       "groups: lrs 2e-2 / 1e-2, wd 0.2, betas (0.9, 0.98), eps 1e-6. cosine_amsgrad: defaults, amsgrad, wd 0.1, lr from open_clip cosine_lr(base 5e-2, warmup 4, steps 20) assigned before each step.",
        "config": {"groups": {"lrs": [2e-2, 1e-2], "weight_decay": 0.2, "betas": [0.9, 0.98], "eps": 1e-6}, "cosine_amsgrad": {"base_lr": 5e-2, "warmup": 4, "steps": 20, "weight_decay": 0.1, "amsgrad": True}},
        "scenarios": scenarios,
    })


def make_sgd():
    configs = {
        "plain": {"lr": 0.1},
        "momentum": {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3},
        "nesterov": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-2},
    }
    scenarios = {}
    for name, cfg in configs.items():
        def sgd_opt(model, cfg=cfg):
            return torch.optim.SGD(model.parameters(), foreach=False, **cfg), [[n for n, _ in model.named_parameters()]]

        scenarios[name] = {str(dt).replace("torch.", ""): run_optimizer(sgd_opt, 10, dt) for dt in (torch.float64, torch.float32)}
    write("sgd", {"description": "torch.optim.SGD (foreach=False), one group, 10 steps on TinyModel (see adamw.json)", "config": configs, "scenarios": scenarios})


# ---- schedules, clipping, init constants, weight-decay groups -----------------------------


def make_schedules():
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    specs = {
        "cosine": ("cosine_lr", dict(base_lr=5e-4, warmup_length=10, steps=100), 100),
        "cosine_no_warmup": ("cosine_lr", dict(base_lr=1e-3, warmup_length=0, steps=37), 37),
        "const": ("const_lr", dict(base_lr=3e-4, warmup_length=5, steps=30), 30),
        "cooldown_linear": ("const_lr_cooldown", dict(base_lr=1e-3, warmup_length=5, steps=50, cooldown_steps=20), 50),
        "cooldown_power": ("const_lr_cooldown", dict(base_lr=1e-3, warmup_length=5, steps=50, cooldown_steps=20, cooldown_power=2.0, cooldown_end_lr=1e-5), 50),
    }
    out = {}
    for name, (fn, kwargs, n) in specs.items():
        sched = getattr(oc_scheduler, fn)(opt, **kwargs)
        values = [sched(step) for step in range(n)]
        assert opt.param_groups[0]["lr"] == values[-1]  # the adjuster assigns what it returns
        out[name] = {"fn": fn, "args": kwargs, "values": values}
    write("schedules", {"description": "open_clip_train.scheduler values at every step 0..steps-1", "schedules": out})


def make_clip_grad():
    torch.manual_seed(SEED)
    shapes = [(3, 4), (5,), ()]
    grads = [randn(*s) for s in shapes]
    cases = []
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, float("inf")), (2.0, 1.0), (1.5, 3.0)]:
        params = [nn.Parameter(torch.zeros(s, dtype=torch.float64)) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        cases.append({"max_norm": max_norm, "norm_type": "inf" if math.isinf(norm_type) else norm_type, "total_norm": float(total), "clipped": [enc(p.grad) for p in params]})
    write("clip_grad", {"description": "torch.nn.utils.clip_grad_norm_ over three float64 gradients", "grads": [enc(g) for g in grads], "cases": cases})


def make_init_constants():
    gains = {nl: nn.init.calculate_gain(nl) for nl in ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]}
    gains["leaky_relu_sqrt5"] = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    fans = []
    for shape in [(4, 3), (8, 3, 5, 5), (6, 2, 3), (7, 1)]:
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        fans.append({"shape": list(shape), "fan_in": fan_in, "fan_out": fan_out})
    torch.manual_seed(SEED)
    stats = {}
    lin = nn.Linear(300, 200)  # torch's default init: U(-1/sqrt(300), 1/sqrt(300))
    stats["linear_weight_absmax"] = float(lin.weight.detach().abs().max())
    stats["linear_bound"] = 1 / math.sqrt(300)
    w = torch.empty(200, 300)
    nn.init.xavier_uniform_(w)
    stats["xavier_uniform_bound"] = math.sqrt(6 / 500)
    stats["xavier_uniform_absmax"] = float(w.abs().max())
    write("init", {"description": "nn.init.calculate_gain values, _calculate_fan_in_and_fan_out, bounds of default Linear and xavier_uniform_", "gains": gains, "fans": fans, "stats": stats})


def make_param_groups():
    cfg_v = oc_model.CLIPVisionCfg(layers=1, width=16, head_width=8, patch_size=8, image_size=16)
    cfg_t = oc_model.CLIPTextCfg(context_length=8, vocab_size=64, width=16, heads=2, layers=1)
    torch.manual_seed(SEED)
    model = oc_model.CLIP(embed_dim=8, vision_cfg=cfg_v, text_cfg=cfg_t)
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or 'logit_scale' in n  # noqa: E731  (open_clip_train/main.py)
    params = [{"name": n, "shape": list(p.shape), "excluded": bool(exclude(n, p))} for n, p in model.named_parameters()]
    state_keys = list(model.state_dict().keys())
    tt = model.transformer
    write("clip_names", {
        "description": "A tiny open_clip CLIP (ViT width 16, 1 layer; text width 16, 1 layer): named_parameters in order with open_clip's weight-decay exclusion, and state_dict keys",
        "params": params, "state_dict_keys": state_keys,
        "text_init_stds": {"width": tt.width, "layers": tt.layers, "proj_std": (tt.width ** -0.5) * ((2 * tt.layers) ** -0.5), "attn_std": tt.width ** -0.5, "fc_std": (2 * tt.width) ** -0.5},
    })


if __name__ == "__main__":
    torch.set_num_threads(1)
    make_layers()
    make_batchnorm()
    make_adamw()
    make_sgd()
    make_schedules()
    make_clip_grad()
    make_init_constants()
    make_param_groups()
