"""The MNIST digits Batch Tuner ships (dist/data/mnist.bin, written by scripts/prepare-mnist.mjs),
as torch tensors, for the examples. torch is imported when called."""

import os
import struct

MAGIC = b"BTMNIST1"


def default_mnist_path(near=None):
    """$BATCH_TUNER_MNIST, else dist/data/mnist.bin two folders above `near` (an example's folder)."""
    if os.environ.get("BATCH_TUNER_MNIST"):
        return os.environ["BATCH_TUNER_MNIST"]
    return os.path.join(near or os.getcwd(), "..", "..", "dist", "data", "mnist.bin")


def load_mnist(path):
    """(pixels float32 [n, 784] in [0, 1], labels int64 [n]) from the file's layout: "BTMNIST1",
    uint32 count, uint8 rows, uint8 cols, the pixels, the labels."""
    import torch

    if not os.path.exists(path):
        raise SystemExit("MNIST data not found at %s: run `npm run build` (or set BATCH_TUNER_MNIST)" % path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        raise SystemExit("%s is not a Batch Tuner MNIST file: run `npm run build` to create it" % path)
    (n,) = struct.unpack_from("<I", data, 8)
    rows, cols = data[12], data[13]
    size = rows * cols
    if len(data) < 14 + n * size + n:
        raise SystemExit("%s is truncated (%d bytes, %d expected): run `npm run build` again" % (path, len(data), 14 + n * size + n))
    pixels = torch.frombuffer(bytearray(data[14:14 + n * size]), dtype=torch.uint8).reshape(n, size)
    labels = torch.frombuffer(bytearray(data[14 + n * size:14 + n * size + n]), dtype=torch.uint8).long()
    return pixels.float() / 255.0, labels
