"""SetFit: a sentence encoder fine-tuned contrastively on pairs of training paragraphs, then a logistic regression."""

from __future__ import annotations

import contextlib
import os
import tempfile

from sklearn.base import BaseEstimator, ClassifierMixin

from .encoding.encoders import E5, MINILM, OfflineWeights
from .registry import POSITIVE_INTEGER, POSITIVE_NUMBER, SEED, register


@register("setfit", rank=9, needs_torch=True, extra="gpu")
class SetFitClassifier(OfflineWeights, ClassifierMixin, BaseEstimator):
    """The `setfit` package's two steps: few labelled examples make many same/different-label pairs to tune
    the encoder on, and the head then sees embeddings that already separate the classes.

    The head is a class-balanced scikit-learn logistic regression, as in every baseline. A GPU is used when
    there is one.

    Parameters
    ----------
    checkpoint : str
        A named offline encoder (`multilingual-e5-small`, `all-MiniLM-L6-v2`) or a Hugging Face checkpoint
        name or path; E5 inputs get its "query: " prefix.
    num_iterations : int
        Pairs per training example and epoch: each example gives this many similar and this many
        dissimilar pairs.
    num_epochs : int
        Epochs of contrastive training of the encoder.
    batch_size : int
        Pairs per step of contrastive training.
    body_learning_rate : float
        Learning rate of the encoder's contrastive training.
    max_length : int
        Tokens per input; longer inputs are truncated.
    target_prefix : bool
        Whether a stance row is encoded as "target: text", so that one model serves every target (as
        `encoder_logreg` with `target_features`); rows without a target are encoded as they are.
    random_state : int or None
        Seed of the training order, the dropout and the head.
    """

    offline_models = (E5, MINILM)
    _parameter_constraints = {"checkpoint": [str], "num_iterations": POSITIVE_INTEGER, "num_epochs": POSITIVE_INTEGER,
                              "batch_size": POSITIVE_INTEGER, "body_learning_rate": POSITIVE_NUMBER,
                              "max_length": POSITIVE_INTEGER, "target_prefix": ["boolean"], "random_state": SEED}

    def __init__(self, *, checkpoint: str = "multilingual-e5-small", num_iterations: int = 20, num_epochs: int = 1,
                 batch_size: int = 16, body_learning_rate: float = 2e-5, max_length: int = 128,
                 target_prefix: bool = True, random_state: int | None = None):
        self.checkpoint = checkpoint
        self.num_iterations = num_iterations
        self.num_epochs = num_epochs
        self.batch_size = batch_size
        self.body_learning_rate = body_learning_rate
        self.max_length = max_length
        self.target_prefix = target_prefix
        self.random_state = random_state

    def inputs(self, X) -> list[str]:
        """The texts the encoder sees, in training and in prediction alike."""
        from .encoding.encoders import PREFIXES

        prefix = PREFIXES.get(self.checkpoint, "")
        targets = X["target"] if self.target_prefix and "target" in X else [""] * len(X)
        return [f"{prefix}{target}: {text}" if target else f"{prefix}{text}" for target, text in zip(targets, X["text"])]

    def fit(self, X, y):
        import torch
        from datasets import Dataset
        from setfit import Trainer, TrainingArguments
        from setfit import logging as setfit_logging
        from transformers import PrinterCallback, ProgressCallback
        from transformers import logging as transformers_logging

        setfit_logging.set_verbosity_error()  # setfit sets its own logger to INFO when imported
        transformers_logging.set_verbosity_error()
        seed = 0 if self.random_state is None else self.random_state
        torch.manual_seed(seed)
        with _no_progress_bars(), tempfile.TemporaryDirectory(prefix="setfit-") as scratch:
            self.model_ = self._model(seed)
            # Nothing is saved or reported anywhere; every step's loss is logged for loss_history_.
            args = TrainingArguments(output_dir=scratch, batch_size=self.batch_size, num_epochs=self.num_epochs,
                                     num_iterations=self.num_iterations, body_learning_rate=self.body_learning_rate,
                                     seed=seed, show_progress_bar=False, report_to="none", save_strategy="no",
                                     logging_steps=1)
            trainer = Trainer(model=self.model_, args=args,
                              train_dataset=Dataset.from_dict({"text": self.inputs(X), "label": list(y)}))
            for callback in (ProgressCallback, PrinterCallback):  # both print to the console
                trainer.st_trainer.remove_callback(callback)
            trainer.st_trainer.args.dataloader_pin_memory = torch.cuda.is_available()
            trainer.train()
        self.classes_ = self.model_.model_head.classes_
        self.loss_history_ = [float(entry["embedding_loss"]) for entry in trainer.st_trainer.state.log_history
                              if "embedding_loss" in entry]
        return self

    def _model(self, seed: int):
        """Built from its parts rather than with `SetFitModel.from_pretrained`, which asks the Hub about any
        checkpoint (for its model card) and cannot tell SentenceTransformer to stay offline."""
        import torch
        from sentence_transformers import SentenceTransformer
        from setfit import SetFitModel
        from sklearn.linear_model import LogisticRegression

        from .encoding.encoders import checkpoint_path

        path = checkpoint_path(self.checkpoint)
        local = os.path.isdir(path)
        body = SentenceTransformer(os.path.abspath(path) if local else path, local_files_only=local,
                                   device="cuda" if torch.cuda.is_available() else "cpu")
        body.max_seq_length = self.max_length  # setfit's own max_length reaches only a differentiable head
        head = LogisticRegression(class_weight="balanced", max_iter=1000, random_state=seed)
        return SetFitModel(model_body=body, model_head=head)

    def predict(self, X):
        return self.model_.predict(self.inputs(X), batch_size=self.batch_size, as_numpy=True, show_progress_bar=False)


@contextlib.contextmanager
def _no_progress_bars():
    """Loading and setfit's model card statistics draw bars; the harness reports progress itself."""
    import datasets
    from transformers.utils import logging

    datasets_bars, transformers_bars = datasets.is_progress_bar_enabled(), logging.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if datasets_bars:
            datasets.enable_progress_bars()
        if transformers_bars:
            logging.enable_progress_bar()
