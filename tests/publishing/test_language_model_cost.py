import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from bench.publishing.language_model_cost import measure_throughput  # noqa: E402

TEXTS = ["he refused to fight in a criminal war", "six helicopters were shot down and the pilots were lost",
         "he crossed the border on foot at night", "the asylum request was rejected"]
TOPIC = {"motivation": "why he refused to fight", "losses": "the war's toll on the Russian army",
         "escape": "how he got out", "asylum_policy": "how states treat deserters"}
TINY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 600, "max_position_embeddings": 1024}


def test_measure_throughput_reports_the_counts():
    result = measure_throughput(TEXTS, TOPIC, training_text=TEXTS * 3, architecture=TINY, batch_size=2)
    assert result["paragraphs"] == 4 and result["labels"] == 4
    assert result["prompt_tokens_mean"] > result["prefix_tokens"] > 0
    assert result["tokens_processed"] < 4 * result["prompt_tokens_mean"] + 4 * sum(result["label_tokens"])
    assert result["seconds_per_paragraph"] * 4 == pytest.approx(result["seconds"])
