"""`python -m open_clip_train.main`, runnable where braceexpand and webdataset are not installed.

    cd DATA && python tools/scale-out/open_clip_train_main.py --model local-dir:EXPORT \
        --train-data pairs.tsv --dataset-type csv --batch-size 64 --epochs 1 --workers 0 ...

open_clip_train's data module imports braceexpand and webdataset at the top, and this machine's
package mirror has neither. Its CSV route (`duet export-data --format csv`) uses neither, so this
stubs both modules (any webdataset use fails loudly on the stubs) and calls open_clip_train's own
main with the arguments given. Where they are installed, run `python -m open_clip_train.main`
directly, with CSV or webdataset shards. One process on CPU; under torchrun on CPU, open_clip_train
wraps the model as DDP(device_ids=[cpu]), which torch 2.13 refuses: its multi-process path is
for GPUs (train.py here is the CPU example).
"""

import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from open_clip_full import open_clip  # noqa: E402,F401  (torchvision's transforms, see there)


class _Missing:
    """Any use of a stubbed webdataset name: fails with the reason."""

    def __init__(self, name):
        self.name = name

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{self.name}: webdataset is not installed; use --dataset-type csv or pip install webdataset braceexpand")


braceexpand = types.ModuleType("braceexpand")
braceexpand.braceexpand = _Missing("braceexpand.braceexpand")
webdataset = types.ModuleType("webdataset")
webdataset.PipelineStage = type("PipelineStage", (), {})  # a base class open_clip_train subclasses at import
for sub, names in {"filters": ["_shuffle"], "tariterators": ["base_plus_ext", "url_opener", "tar_file_expander", "valid_sample"], "shardlists": ["expand_urls"], "utils": ["pytorch_worker_seed"]}.items():
    module = types.ModuleType(f"webdataset.{sub}")
    for name in names:
        setattr(module, name, _Missing(f"webdataset.{sub}.{name}"))
    setattr(webdataset, sub, module)
    sys.modules[f"webdataset.{sub}"] = module
sys.modules.update({"braceexpand": braceexpand, "webdataset": webdataset})

from open_clip_train.main import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])
