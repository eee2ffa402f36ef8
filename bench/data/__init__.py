"""Stage 1, data: the label scheme from the guidelines, the corpus from the seeds, and the label files."""
