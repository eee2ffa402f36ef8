"""A transformers sequence classifier fine-tuned on the training paragraphs (stance as a target/paragraph pair)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class FineTunedClassifier(ClassifierMixin, BaseEstimator):
    """AutoModelForSequenceClassification trained with a plain AdamW loop, seeded for repeatable results.

    `trainable_layers` keeps the lower encoder layers and the embeddings frozen and trains only the top
    layers and the head, which keeps CPU runs affordable; None fine-tunes every parameter.
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

    def _inputs(self, X):
        texts = list(X["text"])
        targets = list(X["target"]) if self.text_pair else []
        if targets and all(targets):
            return self.tokenizer_(targets, texts, padding=True, truncation="only_second",
                                   max_length=self.max_length, return_tensors="pt")
        return self.tokenizer_(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")

    def _freeze(self, model) -> None:
        if self.trainable_layers is None:
            return
        base = model.base_model
        for parameter in base.parameters():
            parameter.requires_grad = False
        layers = base.encoder.layer
        for layer in layers[len(layers) - self.trainable_layers:] if self.trainable_layers else []:
            for parameter in layer.parameters():
                parameter.requires_grad = True
        pooler = getattr(base, "pooler", None)
        for parameter in pooler.parameters() if pooler is not None else []:
            parameter.requires_grad = True

    def fit(self, X, y):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, logging

        from .encoders import checkpoint_path

        logging.set_verbosity_error()
        seed = 0 if self.random_state is None else self.random_state
        torch.manual_seed(seed)
        self.classes_ = np.array(sorted(set(y)))
        index = {label: i for i, label in enumerate(self.classes_)}
        path = checkpoint_path(self.checkpoint)
        self.tokenizer_ = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=len(self.classes_))
        self._freeze(model)
        inputs = self._inputs(X)
        labels = torch.tensor([index[label] for label in y])
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=self.learning_rate, weight_decay=self.weight_decay)
        steps = self.epochs * -(-len(labels) // self.batch_size)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / max(steps, 1))
        order = torch.Generator().manual_seed(seed)
        self.loss_history_ = []
        model.train()
        for _ in range(self.epochs):
            total = 0.0
            for batch in torch.randperm(len(labels), generator=order).split(self.batch_size):
                loss = model(**{k: v[batch] for k, v in inputs.items()}, labels=labels[batch]).loss
                loss.backward()
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                total += loss.item() * len(batch)
            self.loss_history_.append(total / len(labels))
        self.model_ = model.eval()
        return self

    def predict_logits(self, X) -> np.ndarray:
        import torch
        inputs = self._inputs(X)
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(X), self.batch_size):
                chunks.append(self.model_(**{k: v[start:start + self.batch_size] for k, v in inputs.items()}).logits)
        return torch.cat(chunks).numpy()

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_logits(X), axis=1)]
