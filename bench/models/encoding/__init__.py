"""What the encoder-based model families share: the offline encoders, their embedding cache and the E5 checkpoint."""
