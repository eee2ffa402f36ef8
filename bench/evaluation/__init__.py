"""Stage 4, evaluation: tasks and settings, experiment configs, running, scores and statistics, provenance."""
