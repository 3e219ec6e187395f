"""Pictures the documents hold, written as PNG by a few lines of zlib: the same bytes on every
run (`make check` compares them), with no plotting library."""
from __future__ import annotations

import struct
import zlib

import numpy as np


def png(pixels: np.ndarray) -> bytes:
    """An 8-bit grey PNG of `pixels` (2-D, values 0..255)."""
    pixels = np.asarray(pixels, dtype=np.uint8)
    height, width = pixels.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def prototypes_picture(prototypes, rows: int = 12, cols: int = 7, scale: int = 8) -> bytes:
    """The RBF prototypes (±1 bitmaps, one per class) side by side: +1 black, -1 white."""
    cells = [np.where(np.asarray(p).reshape(rows, cols) > 0, 0, 255) for p in prototypes]
    gap = np.full((rows, 1), 160)
    strip = np.hstack([np.hstack([c, gap]) for c in cells])[:, :-1]
    framed = np.pad(strip, 1, constant_values=160)
    return png(np.kron(framed, np.ones((scale, scale))))
