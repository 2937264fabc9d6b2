#!/usr/bin/python3
"""Writes the synthetic seeds of tests/fuzz/corpus/ (small images of every decoded format and mode,
IDX files, safetensors files of every dtype); the real files (configs/, tests/models/, the small torch
ONNX export of tests/golden/) are copied.
Run from the repository root: /usr/bin/python3 tests/fuzz/make_seeds.py"""
import gzip
import json
import shutil
import struct
from pathlib import Path

from PIL import Image

corpus = Path("tests/fuzz/corpus")

def safetensors(name, tensors, metadata=None):
    header, data = {}, b""
    for key, (dtype, shape, raw) in tensors.items():
        header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    (corpus / "safetensors" / name).write_bytes(struct.pack("<Q", len(text)) + text + data)

safetensors("dtypes.safetensors", {
    "f32": ("F32", [2, 2], struct.pack("<4f", 1, -2, 3.5, 0)),
    "f16": ("F16", [2], struct.pack("<2H", 0x3C00, 0xC000)),
    "bf16": ("BF16", [1], struct.pack("<H", 0x4049)),
    "i64": ("I64", [1], struct.pack("<q", 7)),
    "i8": ("I8", [3], bytes([1, 255, 0])),
    "u8": ("U8", [], bytes([200])),
}, {"format": "pt"})
safetensors("empty.safetensors", {})

size = (10, 8)
gradient = Image.linear_gradient("L").resize(size)
rgb = Image.merge("RGB", [gradient, gradient.rotate(90), gradient.transpose(Image.FLIP_LEFT_RIGHT)])
rgb.save(corpus / "image" / "rgb.png")
gradient.save(corpus / "image" / "gray.png")
rgb.convert("P").save(corpus / "image" / "palette.png")
gradient.convert("I;16").save(corpus / "image" / "gray16.png")
rgb.convert("RGBA").save(corpus / "image" / "rgba.png")
rgb.save(corpus / "image" / "rgb.jpg", quality=90)
rgb.convert("CMYK").save(corpus / "image" / "cmyk.jpg")
rgb.save(corpus / "image" / "rgb.bmp")
rgb.save(corpus / "image" / "rgb.ppm")
gradient.save(corpus / "image" / "gray.pgm")
rgb.save(corpus / "image" / "rgb.webp")
rgb.save(corpus / "image" / "rgb.tiff")

def idx(name, dims, compress=True):
    raw = bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    n = 1
    for d in dims:
        n *= d
    raw += bytes(i % 256 for i in range(n))
    (corpus / "idx" / name).write_bytes(gzip.compress(raw) if compress else raw)

idx("images.idx3.gz", [2, 3, 3])
idx("plain.idx3", [1, 2, 2], compress=False)

for config in Path("configs").glob("*.json"):
    shutil.copy(config, corpus / "config" / config.name)
(corpus / "config" / "with_overrides.json").write_bytes(
    Path("configs/fmnist_resnet20_fgq.json").read_bytes() + b"\0quantization.group_size=64\ntrain.seed=2\nname=x")
shutil.copy("tests/models/fmnist_resnet20_n64_a8.safetensors", corpus / "model_file" / "fgq_n64.safetensors")
(corpus / "onnx").mkdir(exist_ok=True)
shutil.copy("tests/golden/onnx_small.onnx", corpus / "onnx" / "torch_small_cnn.onnx")
