"""Stage 2, annotation: growing the labels (terminal labelling, Label Studio, agreement, adjudication)."""
