"""The whole open_clip package (factory, transforms, tokenizers), importable on this machine.

open_clip's package __init__ imports torchvision. The torchvision wheels on this machine's mirror
are CUDA builds: their compiled operators (nms, roi_align, ...) need libc10_cuda.so, which the CPU
build of torch lacks, and `import torchvision` fails while registering fake kernels for those
operators (torchvision._meta_registrations). open_clip uses none of them — only torchvision's
transforms, which are Python over PIL and torch — so when that import fails this module stubs the
one submodule that registers them and imports the real torchvision and open_clip past it.
With a torchvision that loads, nothing is stubbed.

    from open_clip_full import open_clip
"""

import importlib
import sys
import types


def _import_open_clip():
    try:
        import torchvision  # noqa: F401
    except RuntimeError as error:  # "operator torchvision::nms does not exist"
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]
        sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
        print(f"open_clip_full: torchvision's compiled operators do not load ({error}); using its transforms only", file=sys.stderr)
    return importlib.import_module("open_clip")


open_clip = _import_open_clip()
