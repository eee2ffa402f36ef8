from collections import Counter

import pandas as pd

from bench.models import build_model, configured


def frame(count: int) -> pd.DataFrame:
    return pd.DataFrame({"text": ["x"] * count, "target": [""] * count, "id": [str(i) for i in range(count)]})


def test_uniform_draws_the_training_classes_alike_whatever_their_shares():
    labels = ["none"] * 90 + ["favor"] * 9 + ["against"]
    model = configured(build_model("uniform", {}), 0, {}, "stance_war", "f/0").fit(frame(100), labels)
    drawn = Counter(model.predict(frame(3000)))
    assert set(drawn) == {"none", "favor", "against"}
    assert all(900 < count < 1100 for count in drawn.values())
    again = configured(build_model("uniform", {}), 0, {}, "stance_war", "f/0").fit(frame(100), labels)
    assert list(again.predict(frame(50))) == list(model.predict(frame(50))), "seeded"


def test_majority_and_stratified_follow_the_training_shares():
    labels = ["none"] * 90 + ["favor"] * 10
    majority = build_model("majority", {}).fit(frame(100), labels)
    assert set(majority.predict(frame(20))) == {"none"}
    stratified = configured(build_model("stratified", {}), 0, {}, "stance_war", "f/0").fit(frame(100), labels)
    assert 2400 < Counter(stratified.predict(frame(3000)))["none"] < 3000
