#!/usr/bin/env python3
"""Safetensors fixtures from the reference implementation (huggingface/safetensors).

Writes tests/fixtures/safetensors/python.safetensors with Python's safetensors library
and python.json with the values each tensor must read as, so the TypeScript tests can
check Duet's reader against the reference without Python at test time.

If tests/fixtures/safetensors/duet.safetensors exists (the TypeScript tests write it
when run with DUET_UPDATE_FIXTURES=1), this script also checks the other direction:
the reference library loads Duet's file, every value equals duet.json, and the
reference writer, given the same arrays and metadata, produces the same bytes.

    python3 -m venv .cache/venv-st
    .cache/venv-st/bin/pip install safetensors numpy ml_dtypes
    .cache/venv-st/bin/python tools/make_safetensors_fixture.py

Exits non-zero if any check fails. The reference keeps metadata in a hash map, so
regenerating may reorder the keys of python.safetensors' `__metadata__` (nothing else).
"""

import json
import math
import sys
from pathlib import Path

import ml_dtypes  # registers bfloat16 with numpy, so safetensors.numpy can save and load BF16
import numpy as np
import safetensors
from safetensors.numpy import load_file, save, save_file

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "safetensors"

bfloat16 = ml_dtypes.bfloat16
NAN, INF = float("nan"), float("inf")


def encode_value(x):
    """JSON has no NaN, infinities or negative zero: spell them as strings."""
    if isinstance(x, (bool, np.bool_)):
        return int(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 and math.copysign(1, x) < 0:
        return "-0"
    return x  # repr of a float round-trips exactly through JavaScript's JSON.parse


def describe(name, array):
    flat = array.reshape(-1)
    entry = {"shape": list(array.shape)}
    # the rounding oracle is checked by bit pattern: round_src is read from the file itself
    if not name.startswith("round_"):
        entry["values"] = [encode_value(v) for v in flat.astype(np.float64 if array.dtype.kind == "f" or array.dtype == bfloat16 else object)]
    if array.dtype in (np.float16, bfloat16):
        entry["bits"] = [int(b) for b in flat.view(np.uint16)]
    return entry


def rounding_sources(rng):
    """float32 values that probe F16 and BF16 rounding: ties, overflow edges, subnormals."""
    values = [
        65504.0, 65519.0, 65519.996, 65520.0, 65535.0, 65536.0, 1e6,  # F16 max, overflow threshold
        2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -26, 2.0 ** -25 * 1.0000001,  # F16 subnormal edges
        2.0 ** -126, 2.0 ** -133, 2.0 ** -134, 2.0 ** -149,  # BF16 subnormal edges
        3.3895314e38, 3.3961776e38, 3.4028235e38,  # BF16 max and overflow threshold
        1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8,  # exact ties
        0.1, 1 / 3, math.pi, -2.5, 0.0, -0.0, INF, -INF,
    ]
    # exact ties at every F16 and BF16 exponent: (odd or even mantissa) + half an ulp
    for exponent in range(-14, 16):
        for mantissa in (0, 1, 2, 1023):
            values.append((1 + mantissa / 1024 + 1 / 2048) * 2.0 ** exponent)
    for exponent in range(-126, 128, 7):
        for mantissa in (0, 1, 127):
            values.append((1 + mantissa / 128 + 1 / 256) * 2.0 ** exponent)
    # random float32 bit patterns over all exponents (NaNs dropped: their payloads are not compared)
    bits = rng.integers(0, 2 ** 32, size=700, dtype=np.uint64).astype(np.uint32)
    random = bits.view(np.float32)
    random = random[~np.isnan(random)]
    # and random values around 1, where most weights live
    near_one = rng.normal(size=300).astype(np.float32)
    out = np.concatenate([np.array(values, dtype=np.float32), random, near_one])
    return np.negative(out[: len(out) // 2]).tolist() + out.tolist()


def python_tensors():
    rng = np.random.default_rng(20240607)
    src = np.array(rounding_sources(rng), dtype=np.float32)
    with np.errstate(over="ignore"):  # values past F16's range overflow to infinity, on purpose
        round_f16 = src.astype(np.float16)
    return {
        "f32": np.array([[1.5, -0.0, INF], [-INF, NAN, 1e-45]], dtype=np.float32),
        "f32_extremes": np.array([3.4028235e38, -3.4028235e38, 1.1754944e-38, 0.1], dtype=np.float32),
        "f64": np.array([1 / 3, -0.0, 5e-324, 1e-310, INF, -INF, NAN, 1.7976931348623157e308], dtype=np.float64),
        "f16": np.array([1.0, -0.0, 2.0 ** -24, 2.0 ** -14 - 2.0 ** -24, 2.0 ** -14, 65504.0, -65504.0, INF, -INF, NAN, 1 / 3, 0.1], dtype=np.float16),
        "bf16": np.array([1.0, -0.0, 2.0 ** -133, 2.0 ** -126, 3.3895314e38, INF, -INF, NAN, 1 / 3, 0.1, -7.0], dtype=bfloat16),
        "i32": np.array([[-(2 ** 31), 2 ** 31 - 1], [0, -1]], dtype=np.int32),
        "i64": np.array([-(2 ** 31), 2 ** 31 - 1, -1, 0, 12345], dtype=np.int64),
        "i64_wide": np.array([2 ** 40 + 1, -(2 ** 40) - 3, 2 ** 53, -(2 ** 53)], dtype=np.int64),
        "u8": np.array([0, 1, 128, 255], dtype=np.uint8),
        "i8": np.array([-128, -1, 0, 127], dtype=np.int8),
        "i16": np.array([-32768, -1, 0, 32767], dtype=np.int16),
        "u16": np.array([0, 1, 65535], dtype=np.uint16),
        "flags": np.array([True, False, True], dtype=np.bool_),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "matrix": rng.normal(size=(3, 5)).astype(np.float32),
        "round_src": src,
        "round_f16": round_f16,
        "round_bf16": src.astype(bfloat16),
    }


PYTHON_METADATA = {"format": "np", "producer": "tools/make_safetensors_fixture.py", "note": "ünïcødé ✓ \"quoted\""}


def dump_compact(document):
    """JSON with one line per tensor: small, and still diffable."""
    compact = lambda value: json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    lines = [f'  {compact(key)}: {compact(value)},' for key, value in document.items() if key != "tensors"]
    tensors = [f'    {compact(name)}: {compact(entry)}' for name, entry in document["tensors"].items()]
    return "{\n" + "\n".join(lines) + '\n  "tensors": {\n' + ",\n".join(tensors) + "\n  }\n}\n"


def values_equal(actual, expected):
    if expected == "nan":
        return math.isnan(actual)
    if expected == "inf":
        return actual == INF
    if expected == "-inf":
        return actual == -INF
    if expected == "-0":
        return actual == 0 and math.copysign(1, actual) < 0
    return actual == expected and (expected != 0 or math.copysign(1, actual) > 0)


def write_python_fixture():
    tensors = python_tensors()
    path = OUT / "python.safetensors"
    save_file(tensors, str(path), metadata=PYTHON_METADATA)
    expected = {
        "library": f"safetensors {safetensors.__version__}, numpy {np.__version__}, ml_dtypes {ml_dtypes.__version__}",
        "metadata": PYTHON_METADATA,
        "tensors": {name: {"dtype": None, **describe(name, array)} for name, array in tensors.items()},
    }
    header_length = int.from_bytes(path.read_bytes()[:8], "little")
    header = json.loads(path.read_bytes()[8 : 8 + header_length])
    for name, info in header.items():
        if name != "__metadata__":
            expected["tensors"][name]["dtype"] = info["dtype"]
    (OUT / "python.json").write_text(dump_compact(expected))
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes) and python.json")


def check_duet_fixture():
    path = OUT / "duet.safetensors"
    if not path.exists():
        print("no duet.safetensors yet: run the TypeScript tests with DUET_UPDATE_FIXTURES=1, then this script again")
        return True
    expected = json.loads((OUT / "duet.json").read_text())
    ok = True
    loaded = load_file(str(path))
    if set(loaded) != set(expected["tensors"]):
        print(f"FAIL names differ: {sorted(loaded)} vs {sorted(expected['tensors'])}")
        return False
    from safetensors import safe_open

    with safe_open(str(path), "np") as f:
        metadata = f.metadata()
    if metadata != expected["metadata"]:
        print(f"FAIL metadata {metadata} != {expected['metadata']}")
        ok = False
    for name, want in expected["tensors"].items():
        array = loaded[name]
        header_dtype = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.float16): "F16", np.dtype(bfloat16): "BF16",
                        np.dtype(np.int32): "I32", np.dtype(np.int64): "I64"}[array.dtype]
        if header_dtype != want["dtype"] or list(array.shape) != want["shape"]:
            print(f"FAIL {name}: {header_dtype} {list(array.shape)} != {want['dtype']} {want['shape']}")
            ok = False
            continue
        flat = array.reshape(-1)
        actual = flat.astype(np.float64).tolist() if array.dtype.kind == "f" or array.dtype == bfloat16 else [int(v) for v in flat]
        bad = [i for i, (a, e) in enumerate(zip(actual, want["values"])) if not values_equal(a, e)]
        if len(actual) != len(want["values"]) or bad:
            print(f"FAIL {name}: values differ at {bad[:5]}: {[actual[i] for i in bad[:5]]} vs {[want['values'][i] for i in bad[:5]]}")
            ok = False
        if "bits" in want and [int(b) for b in flat.view(np.uint16)] != want["bits"]:
            print(f"FAIL {name}: F16/BF16 bit patterns differ")
            ok = False
    # the reference writer, given the same arrays and metadata, must produce the same bytes
    again = save(loaded, metadata=dict(sorted(metadata.items())) if metadata else None)
    if again != path.read_bytes():
        print("FAIL: Python's writer produces different bytes for the same tensors")
        ok = False
    if ok:
        print(f"ok: Python's safetensors {safetensors.__version__} reads duet.safetensors, every value and bit pattern matches duet.json, "
              "and re-saving the arrays with Python gives identical bytes")
    return ok


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    write_python_fixture()
    sys.exit(0 if check_duet_fixture() else 1)
