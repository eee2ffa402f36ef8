"""Stage 3, models: scikit-learn estimators that fit on a frame of texts (and targets) and predict labels.

Every model takes a pandas DataFrame with the columns `text`, `target` (the stance target's description,
empty for topic) and `id` (the paragraph's), so a model may use the target or ignore it. A model knows
nothing about files, tasks or settings, apart from the one that reads predictions made elsewhere. `protocol`
declares that contract and every optional hook the harness calls. Each module that calls `register` is one
model family; `ngrams` and `targets` hold what several families share, and the `encoding` subpackage what
the encoder-based families share.
"""

from __future__ import annotations

import importlib
import pkgutil

from .registry import MODELS, Family, build_model, configured, fold_name, register, rehearse

for _module in pkgutil.iter_modules(__path__):
    if not _module.ispkg and _module.name != "registry":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["MODELS", "Family", "build_model", "configured", "fold_name", "register", "rehearse"]
