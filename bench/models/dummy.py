"""Baselines that ignore the text: the majority class, random labels with the training distribution, and uniformly
random labels."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier

from .registry import register


@register("majority", rank=0, learns=False)
def majority() -> BaseEstimator:
    """The most frequent training label for every paragraph."""
    return DummyClassifier(strategy="most_frequent")


@register("stratified", rank=1, learns=False)
def stratified() -> BaseEstimator:
    """Random labels drawn with the training distribution: the chance level a model must beat."""
    return DummyClassifier(strategy="stratified")


@register("uniform", rank=2, learns=False)
def uniform() -> BaseEstimator:
    """Labels drawn uniformly from the training classes: the chance level of a guess that knows the classes only."""
    return DummyClassifier(strategy="uniform")
