"""The MNIST loader: the real files against known facts, synthetic IDX files, offline download."""
from __future__ import annotations

import gzip
import shutil
import struct

import numpy as np
import pytest

from derive.lenet import mnist

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TRAIN_FIRST = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
TEST_FIRST = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def real_dir():
    directory = mnist.default_dir()
    if not directory.is_dir():
        pytest.skip(f"MNIST data directory {directory} does not exist (set SYMPROP_MNIST)")
    return directory


def idx_bytes(array, dtype_byte=0x08, magic_prefix=b"\x00\x00") -> bytes:
    array = np.asarray(array, dtype=np.uint8)
    header = magic_prefix + bytes([dtype_byte, array.ndim])
    return header + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx(folder, name, payload: bytes, form: str):
    """Write `payload` as `name` (raw) or `name.gz` (gzip); return the path."""
    if form == "gz":
        path = folder / f"{name}.gz"
        path.write_bytes(gzip.compress(payload))
    else:
        path = folder / name
        path.write_bytes(payload)
    return path


def sample(n=3, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n, dtype=np.uint8))


# --- the real data --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real():
    directory = real_dir()
    return {split: mnist.load(split, directory) for split in ("train", "test")}


@pytest.mark.parametrize("split, n, counts, first", [
    ("train", 60000, TRAIN_COUNTS, TRAIN_FIRST),
    ("test", 10000, TEST_COUNTS, TEST_FIRST),
])
def test_real_data(real, split, n, counts, first):
    images, labels = real[split]
    assert images.shape == (n, 28, 28) and labels.shape == (n,)
    assert images.dtype == np.uint8 and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == counts
    assert labels[:10].tolist() == first
    assert images.max() == 255 and images.min() == 0


def test_default_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SYMPROP_MNIST", str(tmp_path))
    assert mnist.default_dir() == tmp_path
    monkeypatch.delenv("SYMPROP_MNIST")
    assert mnist.default_dir() == mnist.DEFAULT_DIR
    assert mnist.DEFAULT_DIR.parts[-3:] == ("shared", "data", "mnist")


# --- synthetic IDX files --------------------------------------------------------------------

@pytest.mark.parametrize("form", ["gz", "raw"])
def test_read_both_forms(tmp_path, form):
    images, labels = sample()
    got_images = mnist.read_idx(write_idx(tmp_path, "images-idx3-ubyte", idx_bytes(images), form))
    got_labels = mnist.read_idx(write_idx(tmp_path, "labels-idx1-ubyte", idx_bytes(labels), form))
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_images.dtype == np.uint8 and got_images.flags.writeable


def test_gzip_detected_by_magic_bytes(tmp_path):
    _, labels = sample()
    path = tmp_path / "labels.idx"
    path.write_bytes(gzip.compress(idx_bytes(labels)))
    np.testing.assert_array_equal(mnist.read_idx(path), labels)


@pytest.mark.parametrize("form", ["gz", "raw"])
@pytest.mark.parametrize("payload, match", [
    (idx_bytes(np.zeros(5), magic_prefix=b"\x01\x00"), r"bad magic number .*not an IDX file"),
    (idx_bytes(np.zeros(5), dtype_byte=0x0D), r"data type 0x0d not supported"),
    (idx_bytes(np.zeros(5))[:-2], r"truncated: shape \(5,\) needs 5 data bytes, found 3"),
    (idx_bytes(np.zeros(5)) + b"\x00", r"trailing bytes: shape \(5,\) needs 5 data bytes, found 6"),
    (idx_bytes(np.zeros(5))[:6], r"header truncated"),
    (b"\x00\x00", r"too short"),
])
def test_bad_idx(tmp_path, form, payload, match):
    path = write_idx(tmp_path, "bad-idx1-ubyte", payload, form)
    with pytest.raises(mnist.MnistError, match=match) as info:
        mnist.read_idx(path)
    assert path.name in str(info.value)


def test_wrong_rank(tmp_path):
    images, _ = sample()
    path = write_idx(tmp_path, "images-idx3-ubyte", idx_bytes(images), "raw")
    with pytest.raises(mnist.MnistError, match=r"magic number 2051 \(3-D\), expected 2049"):
        mnist.read_idx(path, ndim=1)


@pytest.mark.parametrize("damage", [
    lambda b: b[:len(b) // 2],                      # truncated stream
    lambda b: b[:10] + b"\xff" * (len(b) - 10),      # garbage deflate data
    lambda b: b[:-8] + b"\x00" * 8,                 # wrong CRC / length trailer
])
def test_corrupt_gzip(tmp_path, damage):
    images, _ = sample()
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(damage(gzip.compress(idx_bytes(images))))
    with pytest.raises(mnist.MnistError, match=r"images-idx3-ubyte\.gz: corrupt gzip stream"):
        mnist.read_idx(path)


def standard_files(folder, split="test", n_images=3, n_labels=3, form="raw"):
    images_name, labels_name = (name.removesuffix(".gz") for name in mnist.FILES[split])
    images, _ = sample(n_images)
    _, labels = sample(n_labels)
    write_idx(folder, images_name, idx_bytes(images), form)
    write_idx(folder, labels_name, idx_bytes(labels), form)
    return images, labels


@pytest.mark.parametrize("split", ["train", "test"])
def test_load_raw_files(tmp_path, split):
    images, labels = standard_files(tmp_path, split)
    got_images, got_labels = mnist.load(split, tmp_path)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_load_uses_env_dir(tmp_path, monkeypatch):
    images, _ = standard_files(tmp_path)
    monkeypatch.setenv("SYMPROP_MNIST", str(tmp_path))
    np.testing.assert_array_equal(mnist.load("test")[0], images)


def test_unknown_split(tmp_path):
    with pytest.raises(mnist.MnistError, match=r"unknown MNIST split 'valid'.*'test', 'train'"):
        mnist.load("valid", tmp_path)


def test_missing_file(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(sample()[0]))
    with pytest.raises(mnist.MnistError) as info:
        mnist.load("test", tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message and "t10k-labels-idx1-ubyte.gz" in message
    assert "t10k-images" not in message and "download(directory)" in message


def test_md5_mismatch(tmp_path):
    standard_files(tmp_path, form="gz")
    name = "t10k-images-idx3-ubyte.gz"
    actual = mnist.md5_of(tmp_path / name)
    with pytest.raises(mnist.MnistError,
                       match=rf"{name}: md5 {actual} does not match the expected {mnist.MD5[name]}"):
        mnist.load("test", tmp_path)
    images, _ = mnist.load("test", tmp_path, verify=False)
    assert images.shape == (3, 28, 28)


def test_count_mismatch(tmp_path):
    standard_files(tmp_path, n_images=3, n_labels=2)
    with pytest.raises(mnist.MnistError, match=r"holds 3 images but .* holds 2 labels"):
        mnist.load("test", tmp_path)


def test_labels_in_images_file(tmp_path):
    standard_files(tmp_path)
    labels = idx_bytes(sample()[1])
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(labels)
    with pytest.raises(mnist.MnistError, match=r"t10k-images-idx3-ubyte: magic number 2049"):
        mnist.load("test", tmp_path)


# --- download, offline through file:// mirrors ----------------------------------------------

LABELS = "t10k-labels-idx1-ubyte.gz"


def test_download_from_local_mirror(tmp_path):
    source = real_dir() / LABELS
    if not source.is_file():
        pytest.skip(f"{source} not present")
    good, empty, target = tmp_path / "good", tmp_path / "empty", tmp_path / "target"
    good.mkdir()
    empty.mkdir()
    shutil.copy(source, good / LABELS)
    mirrors = (empty.as_uri() + "/", good.as_uri())  # one with a trailing slash, one without
    with pytest.raises(mnist.MnistError) as info:
        mnist.download(target, mirrors=mirrors)
    assert sorted(p.name for p in target.iterdir()) == [LABELS]
    assert mnist.md5_of(target / LABELS) == mnist.MD5[LABELS]
    message = str(info.value)
    for name in mnist.MD5:
        if name != LABELS:
            assert f"{empty.as_uri()}/{name}" in message and f"{good.as_uri()}/{name}" in message
    assert "by hand" in message and str(target) in message
    # Nothing left to fetch once the others are present: the call then succeeds, writing nothing.
    for name in mnist.MD5:
        if name != LABELS:
            shutil.copy(target / LABELS, target / name)
    assert mnist.download(target, mirrors=()) == []


def test_download_returns_written(tmp_path):
    source = real_dir() / LABELS
    if not source.is_file():
        pytest.skip(f"{source} not present")
    mirror, target = tmp_path / "mirror", tmp_path / "target"
    mirror.mkdir()
    target.mkdir()
    for name in mnist.MD5:
        (mirror / name).write_bytes(b"x")
        if name != LABELS:
            (target / name).write_bytes(b"present")  # present files are left alone
    shutil.copy(source, mirror / LABELS)
    assert mnist.download(target, mirrors=(mirror.as_uri(),)) == [target / LABELS]


def test_download_wrong_content_leaves_nothing(tmp_path):
    bad, target = tmp_path / "bad", tmp_path / "target"
    bad.mkdir()
    for name in mnist.MD5:
        (bad / name).write_bytes(b"not mnist")
    with pytest.raises(mnist.MnistError, match=r"md5 [0-9a-f]{32}, expected") as info:
        mnist.download(target, mirrors=(bad.as_uri(),))
    assert list(target.iterdir()) == []
    assert all(f"{bad.as_uri()}/{name}" in str(info.value) for name in mnist.MD5)


# --- pad_and_scale --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pad_and_scale(dtype):
    images, _ = sample(4)
    images[0, 0, 0], images[1, 5, 5] = 255, 0
    out = mnist.pad_and_scale(images, dtype=dtype)
    assert out.shape == (4, 1, 32, 32) and out.dtype == np.dtype(dtype)
    border = np.ones((32, 32), bool)
    border[2:30, 2:30] = False
    assert not out[:, 0][:, border].any()
    assert out.max() == 1.0 and out.min() == 0.0
    np.testing.assert_allclose(out[:, 0, 2:30, 2:30], images / 255.0, rtol=1e-6)


def test_pad_and_scale_options():
    images, _ = sample(2)
    assert mnist.pad_and_scale(images, pad=0).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError, match="float"):
        mnist.pad_and_scale(images, dtype="uint8")
