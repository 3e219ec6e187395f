"""MNIST: read the four original IDX files (gzip or raw), verify them, download them if missing."""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import struct
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from derive.files import checkout

# beside the project: ../shared/data/mnist from the checkout (or from the working directory)
DEFAULT_DIR = (checkout() or Path.cwd()).parent / "shared" / "data" / "mnist"

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
UBYTE = 0x08  # the IDX data-type byte of unsigned bytes, the only type MNIST uses


class MnistError(ValueError):
    """A missing, corrupt or unverifiable MNIST file."""


def default_dir() -> Path:
    """The data directory: $SYMPROP_MNIST if set, else DEFAULT_DIR."""
    env = os.environ.get("SYMPROP_MNIST")
    return Path(env).expanduser() if env else DEFAULT_DIR


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_idx(path, ndim: int | None = None) -> np.ndarray:
    """The uint8 array stored in IDX file `path` (gzip-compressed or raw).

    `ndim`, if given, is the required number of dimensions (1 for labels, 3 for images)."""
    path = Path(path)
    data = path.read_bytes()
    if path.name.endswith(".gz") or data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise MnistError(f"{path}: corrupt gzip stream ({e}); delete the file and "
                             "download it again") from None
    if len(data) < 4:
        raise MnistError(f"{path}: {len(data)} bytes, too short for an IDX header")
    if data[0] != 0 or data[1] != 0:
        raise MnistError(f"{path}: bad magic number 0x{data[:4].hex()}, expected 0x000008nn; "
                         "not an IDX file")
    if data[2] != UBYTE:
        raise MnistError(f"{path}: IDX data type 0x{data[2]:02x} not supported, "
                         f"expected 0x{UBYTE:02x} (unsigned byte)")
    rank = data[3]
    if ndim is not None and rank != ndim:
        raise MnistError(f"{path}: magic number {0x800 + rank} ({rank}-D), expected "
                         f"{0x800 + ndim} ({ndim}-D {'labels' if ndim == 1 else 'images'})")
    header = 4 + 4 * rank
    if len(data) < header:
        raise MnistError(f"{path}: header truncated, {rank} dimensions need {header} bytes, "
                         f"found {len(data)}")
    shape = struct.unpack(f">{rank}I", data[4:header])
    expected, found = int(np.prod(shape, dtype=np.int64)), len(data) - header
    if found != expected:
        what = "truncated" if found < expected else "trailing bytes"
        raise MnistError(f"{path}: {what}: shape {shape} needs {expected} data bytes, "
                         f"found {found}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def _locate(directory: Path, name: str) -> Path | None:
    """`name` (.gz) in `directory`, or the same name without .gz (raw), or None."""
    for candidate in (directory / name, directory / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _verify(path: Path) -> None:
    expected, actual = MD5[path.name], md5_of(path)
    if actual != expected:
        raise MnistError(f"{path}: md5 {actual} does not match the expected {expected}; the "
                         "file is corrupt or not the original, delete it and download it again")


def load(split: str, directory=None, verify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of split "train" or "test"."""
    if split not in FILES:
        raise MnistError(f"unknown MNIST split {split!r}; choose one of {sorted(FILES)}")
    directory = Path(directory) if directory is not None else default_dir()
    names = FILES[split]
    paths = [_locate(directory, name) for name in names]
    missing = [name for name, path in zip(names, paths) if path is None]
    if missing:
        raise MnistError(f"MNIST {split} data not found in {directory}: missing "
                         f"{', '.join(missing)} (or the same without .gz); pass the directory "
                         "holding them, set SYMPROP_MNIST, or call mnist.download(directory)")
    if verify:
        for path in paths:
            if path.name in MD5:
                _verify(path)
    images_path, labels_path = paths
    images, labels = read_idx(images_path, ndim=3), read_idx(labels_path, ndim=1)
    if images.shape[1:] != (28, 28):
        raise MnistError(f"{images_path}: images of size {images.shape[1:]}, expected (28, 28)")
    if len(images) != len(labels):
        raise MnistError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                         f"{len(labels)} labels; the files do not belong together")
    return images, labels


def _fetch(url: str, target: Path, timeout: float) -> None:
    """Download `url` to `target` through a temporary file, renamed only once its md5 matches."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
        actual = md5_of(Path(tmp))
        if actual != MD5[target.name]:
            raise MnistError(f"md5 {actual}, expected {MD5[target.name]}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def download(directory, mirrors=MIRRORS, timeout: float = 30) -> list[Path]:
    """Download the MNIST .gz files missing from `directory`; return the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written, failures = [], []
    for name in MD5:
        target = directory / name
        if target.is_file():
            continue
        reasons = []
        for mirror in mirrors:
            url = mirror if mirror.endswith("/") else mirror + "/"
            url += name
            try:
                _fetch(url, target, timeout)
            except (OSError, ValueError, http.client.HTTPException) as e:
                reasons.append(f"  {url}: {e}")
                continue
            written.append(target)
            break
        else:
            failures.append(f"{name}:\n" + "\n".join(reasons or ["  no mirrors given"]))
    if failures:
        raise MnistError(f"download into {directory} failed:\n" + "\n".join(failures) + "\n"
                         f"Copy the four files ({', '.join(MD5)}) into {directory} by hand.")
    return written


def pad_and_scale(images: np.ndarray, pad: int = 2, dtype="float32") -> np.ndarray:
    """Images (N, H, W) uint8 -> (N, 1, H + 2 pad, W + 2 pad) in [0, 1], zero-padded."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"expected images of shape (N, H, W), got {images.shape}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a float type, got {dtype}")
    n, h, w = images.shape
    out = np.zeros((n, 1, h + 2 * pad, w + 2 * pad), dtype=dtype)
    out[:, 0, pad:pad + h, pad:pad + w] = images.astype(dtype) / dtype.type(255)
    return out
