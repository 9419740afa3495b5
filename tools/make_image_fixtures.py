"""Makes the image-pipeline fixtures in tests/fixtures/images/ (Pillow, torchvision and
open_clip as the oracles). Tests read the outputs; they never run this script.

    python3 -m venv .cache/venv-img
    .cache/venv-img/bin/pip install pillow numpy scikit-image torch==2.13.0 torchvision==0.28.0 open_clip_torch
    .cache/venv-img/bin/python tools/make_image_fixtures.py

(Made with Pillow 12.3.0, numpy 2.4.6, scikit-image 0.26.0, torch 2.13.0+cpu, torchvision 0.28.0,
open_clip_torch 3.3.0; manifest.json records the versions.)

Source pictures are real photos bundled with scikit-image (skimage.data: chelsea, astronaut,
coffee, camera, logo), scaled down so each file stays small. Outputs:

  <name>.png / .jpg        the inputs, in every PNG and JPEG flavour the decoder handles
  expected/*.rgb.gz        8-bit RGB (row-major, interleaved), each byte as the difference from the
                           pixel to its left (mod 256, PNG's "Sub" filter), gzip-compressed; where only
                           exact equality matters (PNG decodes, centre crops) a SHA-256 instead
  expected/*.f32.gz        raw float32 little-endian CHW tensors, gzip-compressed
  manifest.json            what each expected file is, with its parameters and sizes

Decoded pixels are what Pillow gives with alpha (or tRNS transparency) composited over white
by the exact-rounding formula of packages/vlm/src/image/alpha.ts, and 16-bit samples
reduced to their high byte (Pillow does this itself for RGB, RGBA and LA; its 16-bit grey
mode "I;16" saturates instead, which the manifest notes).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import PIL
import skimage
import skimage.data
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "images"
EXPECTED = OUT / "expected"
rng = np.random.default_rng(20240607)

manifest: dict = {"versions": {}, "images": {}, "resize": [], "preprocess": [], "centerCrop": [], "resizedCrop": [], "shortSide": [], "notes": {}}


# ---------------------------------------------------------------- helpers

def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_input(name: str, data: bytes) -> bytes:
    write_bytes(OUT / name, data)
    return data


def write_gz(name: str, data: bytes) -> str:
    # mtime=0 keeps the file identical from run to run
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(data)
    write_bytes(EXPECTED / name, buf.getvalue())
    return f"expected/{name}"


def write_rgb(name: str, rgb: np.ndarray) -> str:
    """8-bit RGB [H, W, 3], each value stored as its difference (mod 256) from the same channel
    of the pixel to its left (PNG's "Sub" filter), then gzip: photos shrink about a third more."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    sub = rgb.copy()
    sub[:, 1:] = rgb[:, 1:] - rgb[:, :-1]  # uint8 arithmetic wraps mod 256
    return write_gz(name, sub.tobytes())


def encode_pil(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, **kw)
    return buf.getvalue()


def save_pil(im: Image.Image, name: str, **kw) -> bytes:
    return write_input(name, encode_pil(im, **kw))


def composite_over_white(rgba: np.ndarray) -> np.ndarray:
    """round(c*a/255 + 255*(1 - a/255)) exactly, as alpha.ts does."""
    c = rgba[..., :3].astype(np.int64)
    a = rgba[..., 3:4].astype(np.int64)
    return ((c * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def pillow_rgb(data: bytes) -> np.ndarray:
    """What decodeImage should give, computed with Pillow."""
    im = Image.open(io.BytesIO(data))
    im.load()
    has_alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    if has_alpha:
        return composite_over_white(np.asarray(im.convert("RGBA")))
    return np.asarray(im.convert("RGB")).copy()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def pack_row(row: np.ndarray, depth: int) -> bytes:
    """One scanline's samples packed at `depth` bits, most significant bits first."""
    flat = row.reshape(-1).astype(np.uint32)
    if depth == 16:
        return flat.astype(">u2").tobytes()
    if depth == 8:
        return flat.astype(np.uint8).tobytes()
    per_byte = 8 // depth
    pad = (-len(flat)) % per_byte
    flat = np.concatenate([flat, np.zeros(pad, np.uint32)]).reshape(-1, per_byte)
    shifts = np.array([8 - depth * (i + 1) for i in range(per_byte)], np.uint32)
    return (flat << shifts).sum(axis=1).astype(np.uint8).tobytes()


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png_raw(samples: np.ndarray, color_type: int, depth: int, interlace: bool = False) -> bytes:
    """A PNG Pillow cannot write (16-bit colour, 4-bit grey, Adam7 interlacing), by hand; filter type 0 ("None")."""
    h, w = samples.shape[:2]
    if interlace:
        parts = []
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                parts += [b"\x00" + pack_row(r, depth) for r in sub]
        raw = b"".join(parts)
    else:
        raw = b"".join(b"\x00" + pack_row(r, depth) for r in samples)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")


# ---------------------------------------------------------------- inputs

def make_inputs() -> dict[str, np.ndarray]:
    """Writes every input file; returns Pillow's decoded RGB of each (alpha over white)."""
    chelsea = Image.fromarray(skimage.data.chelsea()).resize((150, 100), Image.LANCZOS)
    astronaut = Image.fromarray(skimage.data.astronaut()).resize((232, 232), Image.LANCZOS)
    coffee = Image.fromarray(skimage.data.coffee()).resize((120, 80), Image.LANCZOS)
    camera = Image.fromarray(skimage.data.camera()).resize((72, 64), Image.LANCZOS)
    logo = Image.fromarray(skimage.data.logo()).resize((60, 60), Image.LANCZOS)  # RGBA, transparent background
    small = np.asarray(astronaut.crop((70, 40, 118, 80)))  # 48x40 RGB, the face

    files: dict[str, bytes] = {}
    files["chelsea.png"] = save_pil(chelsea, "chelsea.png", format="PNG", optimize=True)
    files["astronaut-232.png"] = save_pil(astronaut, "astronaut-232.png", format="PNG", optimize=True)
    files["chelsea-q90.jpg"] = save_pil(chelsea, "chelsea-q90.jpg", format="JPEG", quality=90)  # 4:2:0
    files["chelsea-q90-444.jpg"] = save_pil(chelsea, "chelsea-q90-444.jpg", format="JPEG", quality=90, subsampling=0)
    files["coffee-progressive.jpg"] = save_pil(coffee, "coffee-progressive.jpg", format="JPEG", quality=85, progressive=True)
    # odd sizes, so the chroma planes end in a half-used sample; 4:2:2 and 4:2:0
    files["chelsea-422-odd.jpg"] = save_pil(chelsea.resize((101, 67), Image.LANCZOS), "chelsea-422-odd.jpg", format="JPEG", quality=90, subsampling=1)
    files["coffee-420-odd.jpg"] = save_pil(coffee.resize((75, 51), Image.LANCZOS), "coffee-420-odd.jpg", format="JPEG", quality=90, subsampling=2)
    # 4:4:0 (chroma halved vertically only): a 48x48 4:2:2 file whose luma sampling factors are
    # swapped from 2x1 to 1x2 -- the same number of blocks per MCU and MCUs per image, so the
    # entropy-coded data stays valid and both decoders read the same (rearranged) picture
    j422 = bytearray(encode_pil(coffee.crop((0, 0, 48, 48)), format="JPEG", quality=90, subsampling=1))
    sof = j422.index(b"\xff\xc0")
    assert j422[sof + 11] == 0x21, "luma sampling of a 4:2:2 file"
    j422[sof + 11] = 0x12
    files["coffee-440.jpg"] = write_input("coffee-440.jpg", bytes(j422))
    # restart markers every MCU row, and an RGB JPEG (Adobe marker, no colour transform)
    files["coffee-restarts.jpg"] = save_pil(coffee, "coffee-restarts.jpg", format="JPEG", quality=80, restart_marker_rows=1)
    files["chelsea-rgb.jpg"] = save_pil(chelsea.resize((60, 40), Image.LANCZOS), "chelsea-rgb.jpg", format="JPEG", quality=90, keep_rgb=True)
    files["camera-grey.jpg"] = save_pil(camera, "camera-grey.jpg", format="JPEG", quality=90)
    files["camera-grey.png"] = save_pil(camera, "camera-grey.png", format="PNG", optimize=True)
    files["camera-1bit.png"] = save_pil(camera.convert("1"), "camera-1bit.png", format="PNG")
    files["logo-rgba.png"] = save_pil(logo, "logo-rgba.png", format="PNG", optimize=True)
    # palette with per-entry alpha (tRNS), 4-bit indices
    palette = logo.quantize(colors=16, method=Image.Quantize.FASTOCTREE)
    files["logo-palette-trns.png"] = save_pil(palette, "logo-palette-trns.png", format="PNG", bits=4)
    # grey + alpha: the camera with a left-to-right alpha ramp
    ramp = np.tile(np.linspace(0, 255, camera.width).round().astype(np.uint8), (camera.height, 1))
    files["camera-grey-alpha.png"] = save_pil(Image.fromarray(np.dstack([np.asarray(camera), ramp]), "LA"), "camera-grey-alpha.png", format="PNG")
    # RGB with a tRNS colour key: the 8x8 corner painted (12, 34, 56) is transparent, so turns white
    keyed = small.copy()
    keyed[:8, :8] = (12, 34, 56)
    files["astronaut-rgb-trns.png"] = save_pil(Image.fromarray(keyed), "astronaut-rgb-trns.png", format="PNG", transparency=(12, 34, 56))
    # 16-bit RGB with a random low byte, so taking the high byte is what is tested
    rgb16 = small.astype(np.uint16) * 256 + rng.integers(0, 256, small.shape, dtype=np.uint16)
    files["astronaut-16bit.png"] = write_input("astronaut-16bit.png", write_png_raw(rgb16, 2, 16))
    rgba16 = np.dstack([rgb16, np.tile(np.linspace(0, 65535, small.shape[1]).astype(np.uint16), (small.shape[0], 1))])
    files["astronaut-16bit-rgba.png"] = write_input("astronaut-16bit-rgba.png", write_png_raw(rgba16, 6, 16))
    grey16 = np.asarray(camera).astype(np.uint16) * 256 + rng.integers(0, 256, (camera.height, camera.width), dtype=np.uint16)
    files["camera-16bit-grey.png"] = write_input("camera-16bit-grey.png", write_png_raw(grey16, 0, 16))
    files["camera-4bit-grey.png"] = write_input("camera-4bit-grey.png", write_png_raw(np.asarray(camera) >> 4, 0, 4))
    files["astronaut-interlaced.png"] = write_input("astronaut-interlaced.png", write_png_raw(small, 2, 8, interlace=True))

    # Refused on purpose: a CMYK JPEG (4 components, Adobe marker), as print workflows write.
    save_pil(Image.fromarray(small[:16, :16]).convert("CMYK"), "reject-cmyk.jpg", format="JPEG", quality=80)

    decoded: dict[str, np.ndarray] = {}
    for name, data in files.items():
        rgb = pillow_rgb(data)
        if name == "camera-16bit-grey.png":
            # Pillow opens 16-bit grey as "I;16" and saturates it on convert("RGB"); the pipeline takes the high byte.
            saturated = rgb
            rgb = np.repeat((grey16 >> 8).astype(np.uint8)[..., None], 3, axis=2)
            manifest["notes"]["camera-16bit-grey.png"] = (
                f"Pillow {PIL.__version__} converts I;16 to RGB by saturation (mean {saturated.mean():.1f}); "
                "expected is the high byte of each sample"
            )
        if name == "astronaut-16bit.png":  # Pillow keeps the high byte of 16-bit RGB(A) itself
            assert np.array_equal(rgb, rgb16 >> 8), name
        if name == "astronaut-16bit-rgba.png":
            assert np.array_equal(rgb, composite_over_white((rgba16 >> 8).astype(np.uint8))), name
        decoded[name] = rgb
        fmt = "png" if name.endswith(".png") else "jpeg"
        entry = {"file": name, "format": fmt, "width": int(rgb.shape[1]), "height": int(rgb.shape[0]), "bytes": len(data)}
        if fmt == "png":  # lossless: the decoder must match exactly, so a digest is enough
            entry["pillow_rgb_sha256"] = hashlib.sha256(rgb.tobytes()).hexdigest()
        else:  # lossy decoders differ a little: keep the pixels to measure by how much
            entry["pillow_rgb"] = write_rgb(name + ".rgb.gz", rgb)
        im = Image.open(io.BytesIO(data))
        entry["pillow_mode"] = im.mode
        entry["progressive"] = bool(im.info.get("progressive", 0)) if fmt == "jpeg" else False
        manifest["images"][name] = entry

    # How far Pillow's own alpha_composite is from the exact formula, for the record.
    rgba = np.asarray(logo.convert("RGBA"))
    white = Image.new("RGBA", logo.size, (255, 255, 255, 255))
    pil_comp = np.asarray(Image.alpha_composite(white, Image.fromarray(rgba)).convert("RGB")).astype(int)
    manifest["notes"]["alpha_composite_max_diff_vs_pillow"] = int(np.abs(pil_comp - composite_over_white(rgba).astype(int)).max())
    return decoded


# ---------------------------------------------------------------- expected outputs

def make_resizes(decoded: dict[str, np.ndarray]) -> None:
    cases = [
        ("chelsea.png", (75, 50), None),        # halve
        ("chelsea.png", (64, 64), None),        # down, aspect changes
        ("chelsea.png", (37, 23), None),        # odd factor
        ("chelsea.png", (151, 99), None),       # nearly identity
        ("chelsea.png", (150, 40), None),       # vertical pass only
        ("chelsea.png", (40, 100), None),       # horizontal pass only
        ("chelsea.png", (33, 160), None),       # down one way, up the other
        ("chelsea.png", (1, 1), None),
        ("chelsea.png", (50, 40), (10.5, 5.25, 120.75, 90.5)),  # float box
        ("chelsea.png", (90, 70), (30, 20, 60, 45)),            # box, upscaled
        ("chelsea.png", (40, 30), (3, 4, 43, 34)),              # integer box of output size: a crop
        ("camera-grey.png", (101, 90), None),   # grey, up
        ("camera-grey.png", (13, 9), None),
        ("astronaut-232.png", (57, 57), None),  # strong antialiasing
        ("chelsea-q90.jpg", (64, 43), None),    # on Pillow's JPEG decode
        ("coffee-progressive.jpg", (97, 31), None),
        ("logo-rgba.png", (41, 47), None),      # on the white-composited logo
    ]
    for source, size, box in cases:
        im = Image.fromarray(decoded[source])
        out = np.asarray(im.resize(size, Image.BICUBIC, box=box))
        tag = f"{source}-{size[0]}x{size[1]}" + ("-box" if box else "")
        manifest["resize"].append({"source": source, "width": size[0], "height": size[1], "box": list(box) if box else None, "expected": write_rgb(f"resize-{tag}.rgb.gz", out)})


def make_geometry(decoded: dict[str, np.ndarray]) -> None:
    import torchvision.transforms as T
    import torchvision.transforms.functional as F
    from torchvision.transforms.functional import InterpolationMode

    im = Image.fromarray(decoded["chelsea.png"])  # 150 x 100
    for size in [61, (33, 47), (100, 149), 120, 161, (9, 200), (1, 1)]:
        out = np.asarray(T.CenterCrop(size)(im))
        manifest["centerCrop"].append({"source": "chelsea.png", "size": size, "width": out.shape[1], "height": out.shape[0], "sha256": hashlib.sha256(out.tobytes()).hexdigest()})
    for top, left, h, w, size in [(10, 20, 70, 90, 48), (0, 0, 100, 150, 64), (-5, 140, 30, 25, 20), (37, 11, 41, 97, (24, 40))]:
        out = np.asarray(F.resized_crop(im, top, left, h, w, [size, size] if isinstance(size, int) else list(size), InterpolationMode.BICUBIC))
        manifest["resizedCrop"].append({"source": "chelsea.png", "top": top, "left": left, "height": h, "width": w, "size": size,
                                        "expected": write_rgb(f"resizedcrop-{top}-{left}-{h}-{w}.rgb.gz", out)})
    for w, h, size in [(150, 100, 64), (100, 150, 64), (451, 300, 224), (300, 451, 224), (640, 427, 224), (7, 3, 5), (3, 7, 224), (224, 224, 224), (1000, 999, 224), (333, 1000, 224)]:
        out = F.resize(Image.new("RGB", (w, h)), size, InterpolationMode.BICUBIC)
        manifest["shortSide"].append({"width": w, "height": h, "size": size, "out_width": out.size[0], "out_height": out.size[1]})


def make_preprocess(decoded: dict[str, np.ndarray]) -> None:
    import open_clip
    import torch
    import torchvision.transforms as T

    mean, std = open_clip.OPENAI_DATASET_MEAN, open_clip.OPENAI_DATASET_STD
    # The float32 value open_clip's ToTensor + Normalize gives for each level of each channel.
    levels = Image.fromarray(np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2))
    lut = T.Compose([T.ToTensor(), T.Normalize(mean, std)])(levels)[:, 0, :].numpy().astype("<f4")  # [3, 256]
    manifest["normalizeTable"] = write_gz("normalize-table.f32.gz", lut.tobytes())
    for source, size, full in [("chelsea.png", 64, True), ("astronaut-232.png", 64, False), ("astronaut-232.png", 224, False),
                               ("chelsea-q90.jpg", 64, False), ("logo-rgba.png", 64, False), ("camera-grey.png", 224, False)]:
        transform = open_clip.image_transform(size, is_train=False)
        pil = Image.fromarray(decoded[source])
        tensor = transform(pil).numpy().astype("<f4")
        # the uint8 image just before ToTensor: the same transforms minus the last three
        cropped = np.asarray(T.Compose(transform.transforms[:-3])(pil).convert("RGB"))
        from_lut = np.stack([lut[c][cropped[..., c]] for c in range(3)])
        assert np.array_equal(from_lut.view(np.uint32), tensor.view(np.uint32)), "the level table must reproduce open_clip exactly"
        entry = {"source": source, "size": size, "cropped": write_rgb(f"preprocess-{source}-{size}.rgb.gz", cropped)}
        if full:
            entry["tensor"] = write_gz(f"preprocess-{source}-{size}.f32.gz", tensor.tobytes())
        manifest["preprocess"].append(entry)
    manifest["transform"] = repr(open_clip.image_transform(224, is_train=False))
    manifest["versions"].update({"torch": torch.__version__, "open_clip": open_clip.__version__})


def import_torchvision():
    """The local mirror's torchvision 0.28.0 (the one for torch 2.13.0) is a CUDA build whose C
    ops fail to load beside the CPU torch wheel; only its PIL transforms are needed here, so the
    module that registers those ops is stubbed out."""
    import types

    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    import torchvision

    return torchvision


def main() -> None:
    torchvision = import_torchvision()

    OUT.mkdir(parents=True, exist_ok=True)
    for old in list(OUT.glob("*.png")) + list(OUT.glob("*.jpg")) + list(EXPECTED.glob("*.gz")):
        old.unlink()
    manifest["versions"] = {"python": sys.version.split()[0], "Pillow": PIL.__version__, "numpy": np.__version__,
                            "scikit-image": skimage.__version__, "torchvision": torchvision.__version__}
    decoded = make_inputs()
    make_resizes(decoded)
    make_geometry(decoded)
    make_preprocess(decoded)
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    largest = max((p for p in OUT.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    print(f"wrote {sum(1 for p in OUT.rglob('*') if p.is_file())} files, {total / 1024:.0f} KiB; largest {largest.name} {largest.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
