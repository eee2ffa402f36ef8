"""A topic and stance benchmark on news about Russian soldiers who desert or defect."""

__version__ = "0.4.0"
