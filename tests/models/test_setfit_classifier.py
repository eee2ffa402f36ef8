import socket

import pandas as pd
import pytest

pytest.importorskip("setfit")

from bench.models import MODELS, build_model  # noqa: E402
from bench.models.setfit_classifier import SetFitClassifier  # noqa: E402

WORDS = ["he", "refused", "to", "fight", "helicopters", "were", "shot", "down", "pilots", "lost", "war", "army",
         "alpha", "beta", ":"]
TEXTS = ["he refused to fight", "he refused the war", "refused to fight the army", "he refused to fight the war",
         "helicopters were shot down", "pilots were lost", "helicopters were lost", "pilots were shot down"]
LABELS = ["motivation"] * 4 + ["losses"] * 4


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> str:
    """A tiny randomly initialised BERT with a word-level vocabulary, built here so that no test downloads one."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])}
    words = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()  # "alpha: text" is three words and more
    PreTrainedTokenizerFast(tokenizer_object=words, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                            sep_token="[SEP]", mask_token="[MASK]", model_max_length=64).save_pretrained(folder)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=64)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    return str(folder)


@pytest.fixture
def no_network(monkeypatch):
    """Records every connection attempt: the libraries catch a refused connection, so refusing alone proves nothing."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network use in a test that must not use the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def topic(texts):
    return pd.DataFrame({"text": texts, "target": ""})


def fit(checkpoint, seed, X=None, y=None, **params):
    params = {"num_iterations": 2, "batch_size": 8, **params}
    model = SetFitClassifier(checkpoint=checkpoint, random_state=seed, **params)
    return model.fit(topic(TEXTS) if X is None else X, LABELS if y is None else y)


def test_fits_offline_and_predicts_known_labels(checkpoint, no_network):
    model = fit(checkpoint, 0)
    assert sorted(model.classes_) == ["losses", "motivation"]
    predictions = model.predict(topic(["he refused to fight", "pilots were shot down", "an unknown text"]))
    assert len(predictions) == 3 and set(predictions) <= {"losses", "motivation"}
    assert model.loss_history_ and all(loss >= 0 for loss in model.loss_history_)
    assert no_network == []


def test_a_seed_gives_the_same_model(checkpoint):
    first, again, other = fit(checkpoint, 1), fit(checkpoint, 1), fit(checkpoint, 2)
    assert first.loss_history_ == again.loss_history_
    assert list(first.predict(topic(TEXTS))) == list(again.predict(topic(TEXTS)))
    assert first.loss_history_ != other.loss_history_, "the seed must reach the training order and dropout"


def test_stance_rows_are_encoded_with_their_target(checkpoint):
    X = pd.DataFrame({"text": ["he refused to fight", "pilots were lost"], "target": ["alpha", ""]})
    assert SetFitClassifier(checkpoint=checkpoint).inputs(X) == ["alpha: he refused to fight", "pilots were lost"]
    assert SetFitClassifier(checkpoint=checkpoint, target_prefix=False).inputs(X) == list(X["text"])
    assert SetFitClassifier().inputs(X) == ["query: alpha: he refused to fight", "query: pilots were lost"], "E5's prefix"


def test_the_target_alone_can_decide_the_label(checkpoint):
    # The same texts take one label toward one target and the other toward the other: only a model that
    # sees the targets can learn that.
    X = pd.DataFrame({"text": TEXTS[:4] * 2, "target": ["alpha"] * 4 + ["beta"] * 4})
    y = ["favor"] * 4 + ["against"] * 4
    assert list(fit(checkpoint, 0, X, y).predict(X)) == y
    blind = fit(checkpoint, 0, X, y, target_prefix=False)
    assert list(blind.predict(X[:4])) == list(blind.predict(X[4:])), "without the target a row is its text alone"


def test_registered_after_the_fine_tuned_model():
    assert MODELS["setfit"].rank > MODELS["fine_tuned"].rank and MODELS["setfit"].needs_torch
    assert build_model("setfit", {"num_iterations": 5}).get_params()["num_iterations"] == 5
