#!/usr/bin/python3
"""Writes what torchvision's ImageNet evaluation sees for each photograph in tests/images/photos: its
ImageFolder loader (PIL's Image.open(path).convert("RGB")), Resize(256) and CenterCrop(224), saved as a
lossless PNG in tests/images/torchvision/ (the pixels before ToTensor and Normalize). With Debian's
python3-torchvision 0.14 and python3-pil 9.4.

    /usr/bin/python3 tests/golden/make_preprocessing_golden.py             # rewrites the expected crops
    /usr/bin/python3 tests/golden/make_preprocessing_golden.py SOURCE_DIR  # first remakes the photographs

SOURCE_DIR holds scikit-image's sample photographs (skimage/data: public domain or CC0, see
tests/images/README.md). From them the photographs are made in the forms a user's folder holds: PNG and
JPEG, landscape and portrait, small and large, palette, gray, gray with alpha, 16-bit, CMYK, and an EXIF
orientation that torchvision does not apply.

It also writes tests/golden/pillow_resize.safetensors: a random 37 x 23 RGB image resized by PIL's
bilinear filter to sizes that shrink, enlarge and keep each axis.
"""
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image
import torchvision.transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import safetensors_io  # noqa: E402


IMAGES = os.path.join(HERE, "..", "images")


def write_png16(path, pixels):
    """A 16-bit PNG (gray or RGB) written by hand: Pillow writes 16-bit gray only."""
    height, width = pixels.shape[:2]
    color_type = 2 if pixels.ndim == 3 else 0
    rows = pixels.astype(">u2").reshape(height, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def make_photos(source):
    out = os.path.join(IMAGES, "photos")
    chelsea = Image.open(os.path.join(source, "chelsea.png")).convert("RGB")      # 451 x 300, fur
    coffee = Image.open(os.path.join(source, "coffee.png")).convert("RGB")        # 600 x 400
    astronaut = Image.open(os.path.join(source, "astronaut.png")).convert("RGB")  # 512 x 512
    camera = Image.open(os.path.join(source, "camera.png")).convert("L")          # 512 x 512, gray
    gravel = Image.open(os.path.join(source, "gravel.png")).convert("L")          # texture
    motorcycle = Image.open(os.path.join(source, "motorcycle_left.png")).convert("RGB")  # 741 x 500, edges
    chelsea.save(os.path.join(out, "chelsea.png"))
    inks = 255 - np.asarray(chelsea).astype(np.int32)  # with black under colour removal: Pillow's own has k = 0
    black = inks.min(axis=2, keepdims=True)
    cmyk = np.concatenate([inks - black, black], axis=2).astype(np.uint8)
    Image.fromarray(cmyk, "CMYK").save(os.path.join(out, "chelsea_cmyk.jpg"), quality=90)
    coffee.save(os.path.join(out, "coffee.jpg"), quality=90)
    portrait = coffee.transpose(Image.Transpose.TRANSPOSE).resize((300, 450), Image.Resampling.LANCZOS)
    write_png16(os.path.join(out, "coffee_portrait_16bit.png"), np.asarray(portrait).astype(np.uint16) * 257)
    astronaut.quantize(256).save(os.path.join(out, "astronaut_palette.png"))
    small = astronaut.resize((200, 150), Image.Resampling.LANCZOS).convert("RGBA")
    small.putalpha(Image.linear_gradient("L").resize((200, 150)))
    small.save(os.path.join(out, "astronaut_small_rgba.png"))
    camera.save(os.path.join(out, "camera_gray.png"))
    write_png16(os.path.join(out, "camera_gray_16bit.png"), np.asarray(camera).astype(np.uint16))
    gravel.save(os.path.join(out, "gravel_gray.jpg"), quality=90)
    gray_alpha = gravel.crop((0, 0, 300, 512)).convert("LA")
    gray_alpha.save(os.path.join(out, "gravel_gray_alpha.png"))
    motorcycle.save(os.path.join(out, "motorcycle.jpg"), quality=92)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to display
    motorcycle.crop((0, 0, 700, 333)).save(os.path.join(out, "motorcycle_exif_rotated.jpg"), quality=90, exif=exif.tobytes())
    for name in ("rocket.jpg", "retina.jpg"):  # as distributed: 640 x 427, 1411 x 1411
        with open(os.path.join(source, name), "rb") as f, open(os.path.join(out, name), "wb") as g:
            g.write(f.read())


def write_resize_golden():
    pixels = np.random.default_rng(7).integers(0, 256, (23, 37, 3), dtype=np.uint8)
    tensors = {"input": pixels}
    for width, height in ((5, 7), (11, 23), (37, 11), (64, 50), (100, 9), (36, 22), (3, 2)):
        tensors[f"out_{width}x{height}"] = np.asarray(Image.fromarray(pixels).resize((width, height), Image.Resampling.BILINEAR))
    safetensors_io.save(os.path.join(HERE, "pillow_resize.safetensors"), tensors)


def main():
    if len(sys.argv) > 1:
        make_photos(sys.argv[1])
    write_resize_golden()
    evaluation = T.Compose([T.Resize(256), T.CenterCrop(224)])
    photos = os.path.join(IMAGES, "photos")
    for name in sorted(os.listdir(photos)):
        with open(os.path.join(photos, name), "rb") as f:
            image = Image.open(f).convert("RGB")  # torchvision.datasets.folder.pil_loader
        evaluation(image).save(os.path.join(IMAGES, "torchvision", os.path.splitext(name)[0] + ".png"))
        print(name, image.size)


if __name__ == "__main__":
    main()
