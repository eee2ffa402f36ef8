"""The model protocol: each hook recognises the models that offer it, and the harness uses it as before."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from bench.evaluation.config import Config
from bench.evaluation.runner import run_fold
from bench.evaluation.settings import evaluations
from bench.evaluation.tasks import Example, Task
from bench.files import BenchError
from bench.models import MODELS, build_model, configured, registry, rehearse
from bench.models.encoding.encoders import E5, ENCODERS, MINILM, USE
from bench.models.fine_tuned import FineTunedClassifier
from bench.models.language_model import PromptedLanguageModel
from bench.models.predictions_file import FilePredictions
from bench.models.protocol import (
    INJECTED_PARAMETERS,
    ChecksData,
    ChecksLoadable,
    DeclaresConstraints,
    FoldSpecific,
    Model,
    ReportsLoss,
    Staged,
)
from bench.models.setfit_classifier import SetFitClassifier
from bench.models.targets import PerTarget
from bench.publishing.records import marks

EXTENDING = Path(__file__).resolve().parents[2] / "docs" / "extending.md"
TASK = Task("topic", ("loss", "escape"), {"loss": "l", "escape": "e"}, None)


def built(name: str) -> BaseEstimator:
    """A registered model with its defaults, without the check for the transformer libraries."""
    return MODELS[name].build()


def offering(hook) -> set[str]:
    return {name for name in MODELS if isinstance(built(name), hook)}


def rows() -> list[Example]:
    return [Example(f"{doc}-{i}", doc, "en", doc.upper(), "", f"{doc} text {i}", "escape" if i % 2 else "loss")
            for doc in ("a", "b", "c") for i in range(4)]


class Epochs(ClassifierMixin, BaseEstimator):
    """A model trained in epochs that records a loss per epoch, as a gradient-descent model does."""

    staged_parameter = "epochs"

    def __init__(self, epochs: int = 2, random_state: int | None = None):
        self.epochs = epochs
        self.random_state = random_state

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.loss_history_ = [1.0 / (epoch + 1) for epoch in range(self.epochs)]
        return self

    def staged_predict(self, X):
        for _ in range(self.epochs):
            yield self.predict(X)

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_every_registered_model_meets_the_base_contract():
    assert all(isinstance(built(name), Model) for name in MODELS)
    assert not isinstance(object(), Model)


def test_each_hook_is_recognised_on_the_models_that_offer_it_and_no_other():
    assert offering(ChecksLoadable) == {name for name, family in MODELS.items() if family.needs_torch}
    assert offering(ChecksData) == offering(FoldSpecific) == {"predictions_file"}
    assert offering(Staged) == {"fine_tuned"}
    assert offering(ReportsLoss) == set(), "only a fitted model has a loss history"
    assert isinstance(Epochs().fit(pd.DataFrame({"text": ["a", "b"]}), ["x", "y"]), ReportsLoss)
    assert not isinstance(Epochs(), ReportsLoss)
    assert not isinstance(PerTarget(FineTunedClassifier()), Staged), "a wrapper does not pass its model's hooks on"
    assert offering(DeclaresConstraints) == set(MODELS), "every registered model declares its parameters' ranges"
    assert not isinstance(Epochs(), DeclaresConstraints)


def test_declared_constraints_are_checked_when_a_model_is_built_and_others_pass(monkeypatch):
    monkeypatch.setitem(registry.MODELS, "epochs", registry.Family("epochs", Epochs, rank=99))
    assert build_model("epochs", {"epochs": -3}).epochs == -3, "a model that declares no constraints is not checked"
    with pytest.raises(BenchError, match="The 'epochs' parameter of FineTunedClassifier must be an int"):
        build_model("fine_tuned", {"epochs": -3})


def test_the_harness_sets_the_declared_parameters_at_any_depth():
    assert INJECTED_PARAMETERS == ("random_state", "label_definitions", "task", "fold")
    model = configured(PerTarget(FilePredictions()), 7, {"loss": "l"}, "topic", "in_language:en/0")
    assert model.get_params()["estimator__task"] == "topic"
    assert model.get_params()["estimator__fold"] == "in_language:en/0"
    assert configured(build_model("tfidf"), 7).get_params()["classifier__random_state"] == 7
    assert configured(built("zero_shot"), 7, {"loss": "l"}).label_definitions == {"loss": "l"}
    own = built("zero_shot").set_params(label_definitions={"a": "b"})
    assert configured(own, 7).label_definitions == {"a": "b"}, "a parameter the harness has no value for keeps its own"


def test_the_runner_records_the_loss_of_a_model_that_reports_one(monkeypatch):
    monkeypatch.setitem(registry.MODELS, "epochs", registry.Family("epochs", Epochs, rank=99))
    evaluation = evaluations("in_language", rows())[0]
    config = Config("epochs", "epochs", params={"epochs": 3}, tasks=("topic",), settings=("in_language",), seeds=(0, 1))
    fold = run_fold(config, TASK, rows(), evaluation, 0).fold
    assert fold.loss == {"0": [1.0, 0.5, 1 / 3], "1": [1.0, 0.5, 1 / 3]}
    assert run_fold(Config("majority", "majority"), TASK, rows(), evaluation, 0).fold.loss is None


def test_weights_are_checked_by_the_parameter_each_model_declares(tmp_path):
    pytest.importorskip("huggingface_hub")
    for name in ENCODERS:
        built("encoder_logreg").set_params(encoder=name).check_loadable()
    FineTunedClassifier(checkpoint=MINILM).check_loadable()
    SetFitClassifier(checkpoint=E5).check_loadable()
    PromptedLanguageModel(checkpoint=str(tmp_path)).check_loadable()  # a local folder
    with pytest.raises(ValueError, match=f"checkpoint {USE!r} is not one of {E5}, {MINILM}"):
        FineTunedClassifier(checkpoint=USE).check_loadable()
    with pytest.raises(ValueError, match="a checkpoint is needed"):
        PromptedLanguageModel().check_loadable()
    with pytest.raises(BenchError, match="model 'zero_shot': checkpoint 'no/such-encoder' is not one of"):
        rehearse("zero_shot", built("zero_shot").set_params(encoder="no/such-encoder"))


def test_predictions_from_a_file_are_marked_in_the_tables(tmp_path):
    path = tmp_path / "predictions.csv"
    path.write_text("id,task,label\na-0,topic,loss\n", encoding="utf-8")
    config = Config("from_file", "predictions_file", params={"path": str(path)})
    assert marks(config, {}) == ["predictions file"]
    path.write_text("id,task,label,evaluation,fold\na-0,topic,loss,in_language:en,0\n", encoding="utf-8")
    assert marks(config, {"device": {"kind": "cuda"}}) == ["GPU", "predictions file, per fold"]
    assert marks(Config("majority", "majority"), {}) == []


def test_ranks_order_every_model_and_estimators_take_their_parameters_by_keyword():
    assert len({family.rank for family in MODELS.values()}) == len(MODELS)
    for model in (FineTunedClassifier, PromptedLanguageModel, SetFitClassifier):
        with pytest.raises(TypeError):
            model("multilingual-e5-small")


def test_trainable_layers_takes_zero_and_refuses_a_negative_number():
    registry.checked(built("fine_tuned").set_params(trainable_layers=0))
    with pytest.raises(ValueError, match="'trainable_layers' parameter of FineTunedClassifier"):
        registry.checked(built("fine_tuned").set_params(trainable_layers=-1))


def documented_template() -> str:
    section = EXTENDING.read_text(encoding="utf-8").split("\n## Adding a model\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the section shows one template model"
    return blocks[0]


def test_the_documented_template_model_fits_predicts_and_registers(monkeypatch):
    """The template as docs/extending.md prints it: a complete model, through the harness's path and without it."""
    monkeypatch.setattr(registry, "MODELS", dict(registry.MODELS))  # registered for this test only
    namespace: dict = {}
    exec(compile(documented_template(), "docs/extending.md", "exec"), namespace)
    X = pd.DataFrame({"text": ["short", "a much longer paragraph", "tiny", "another long paragraph here"],
                      "target": "", "id": ["p1", "p2", "p3", "p4"]})
    y = ["brief", "long", "brief", "long"]
    model = namespace["NearestLength"]().fit(X, y)
    assert isinstance(model, Model)
    assert list(model.predict(X)) == y
    assert list(model.predict(pd.DataFrame({"text": ["small", "a paragraph of some length"]}))) == ["brief", "long"]
    rehearse("nearest_length", build_model("nearest_length"))
    assert list(configured(build_model("nearest_length"), 0).fit(X, y).predict(X)) == y
