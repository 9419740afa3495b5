"""open_clip's submodules, importable without torchvision.

open_clip's package __init__ imports torchvision, and the torchvision wheel on this machine's
mirror fails to load against torch 2.13 (and a torch-only venv has none). The model, loss and
tokenizer modules need just one torchvision name, FrozenBatchNorm2d (open_clip.utils, for
ResNet towers only), so when the package import fails this loads the submodules past the
package __init__ with that name stubbed (and transformers hidden, see below). With a working
torchvision the package is used as is.

Used by tools/make_clip_fixtures.py, tools/reference_train.py and bench/train_step_torch.py.
"""

import importlib
import importlib.util
import sys
import types


def import_open_clip(*names):
    """The open_clip submodules `names` (e.g. "model", "loss"), in that order."""
    try:
        import open_clip  # noqa: F401

        return tuple(importlib.import_module(f"open_clip.{n}") for n in names)
    except Exception:  # ImportError, or a torchvision built for another torch
        for name in [n for n in sys.modules if n == "open_clip" or n.startswith(("open_clip.", "torchvision"))]:
            del sys.modules[name]
    found = importlib.util.find_spec("open_clip")
    if found is None:
        raise ImportError("open_clip_torch is not installed: pip install --no-deps open_clip_torch==3.3.0 (see docs/reference-run.md)")
    package = types.ModuleType("open_clip")
    package.__path__ = list(found.submodule_search_locations)
    misc = types.ModuleType("torchvision.ops.misc")
    misc.FrozenBatchNorm2d = type("FrozenBatchNorm2d", (), {})  # never used by ViT towers
    stubs = {"torchvision": types.ModuleType("torchvision"), "torchvision.ops": types.ModuleType("torchvision.ops"), "torchvision.ops.misc": misc}
    # transformers (if installed) probes torchvision's __spec__ on import and raises ValueError on
    # these stubs; open_clip imports it only for HF text towers and CoCa's generate(), both
    # optional (ImportError is caught), so it is hidden: a None entry makes the import fail.
    stubs["transformers"] = None
    sys.modules.update({"open_clip": package, **stubs})
    return tuple(importlib.import_module(f"open_clip.{n}") for n in names)
