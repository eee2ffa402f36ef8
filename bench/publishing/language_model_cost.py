"""What the prompted language model (`prompted_lm`) costs on this machine, measured without a download.

No checkpoint can be fetched, so the model is randomly initialised with the architecture of a small real
one (SmolLM2-135M by default): the same layers, widths and vocabulary, hence the same computation per token
as the real model; only the weights, and so the predictions, mean nothing. The tokenizer is a byte-level
BPE trained here on the benchmark's own text, so its token counts differ from the real model's tokenizer:
read tokens per second as the model's speed, and the prompt's token count (with characters per token) as
this tokenizer's, when turning it into seconds per paragraph for another tokenizer. `bench perf --only
language_model` runs it on the benchmark's paragraphs.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ..models.language_model import PromptedLanguageModel, load_checkpoint

# The architecture of HuggingFaceTB/SmolLM2-135M (its config.json), without its weights.
SMOLLM2_135M = {"hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9,
                "num_key_value_heads": 3, "vocab_size": 49152, "tie_word_embeddings": True,
                "max_position_embeddings": 8192, "rms_norm_eps": 1e-5}
TOKENIZER_VOCABULARY = 8192  # at most; a few articles yield fewer merges


def build_checkpoint(folder: Path, training_text: Sequence[str], architecture: dict | None = None, seed: int = 0) -> Path:
    """A randomly initialised Llama-architecture causal LM and a byte-level BPE tokenizer, saved in `folder`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast, logging

    logging.disable_progress_bar()
    architecture = dict(SMOLLM2_135M if architecture is None else architecture)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=min(TOKENIZER_VOCABULARY, architecture["vocab_size"]),
                                  special_tokens=["<s>", "<pad>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    bpe.train_from_iterator(list(training_text), trainer)
    bos = bpe.token_to_id("<s>")
    bpe.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", bos)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", pad_token="<pad>")
    if len(tokenizer) > architecture["vocab_size"]:
        raise ValueError(f"the tokenizer's {len(tokenizer)} tokens do not fit the model's vocabulary")
    torch.manual_seed(seed)
    config = LlamaConfig(**architecture, bos_token_id=bos, eos_token_id=bos, pad_token_id=bpe.token_to_id("<pad>"))
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def measure_throughput(paragraphs: Sequence[str], definitions: dict[str, str], *,
                       training_text: Sequence[str] | None = None, architecture: dict | None = None,
                       labels: Sequence[str] | None = None, shots: int = 0, max_length: int = 256,
                       batch_size: int = 8) -> dict:
    """Seconds per paragraph and tokens per second of `prompted_lm` over the paragraphs, on this machine.

    One paragraph is predicted first as a warm-up, then all of them are timed in one `predict`: wall
    seconds, and the CPU seconds of all this process's threads, which other processes sharing the machine
    inflate less. `labels` (the paragraphs' labels, for the examples when `shots` > 0) default to the
    definitions' labels in turn.
    """
    import pandas as pd
    import torch

    frame = pd.DataFrame({"text": list(paragraphs), "target": ""})
    y = list(labels) if labels is not None else [list(definitions)[i % len(definitions)] for i in range(len(frame))]
    with tempfile.TemporaryDirectory() as folder:
        build_checkpoint(Path(folder), training_text or list(paragraphs), architecture)
        model = PromptedLanguageModel(checkpoint=folder, label_definitions=dict(definitions), shots=shots,
                                      max_length=max_length, batch_size=batch_size, random_state=0).fit(frame, y)
        model.predict(frame.iloc[:1])
        start, cpu_start = time.perf_counter(), time.process_time()
        model.predict(frame)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        parameters = sum(p.numel() for p in model.model_.parameters())
        prompts = model.render_prompts(frame)
        prompt_tokens = [len(model.tokenizer_(p)["input_ids"]) for p in prompts]
        prefix_tokens = len(model.tokenizer_(model.prefix(""))["input_ids"])
        label_tokens = [len(c) for c in model.continuations_]
        result = {
            "paragraphs": len(frame), "labels": len(definitions), "shots": shots, "max_length": max_length,
            "batch_size": batch_size, "parameters": parameters, "device": str(model.model_.device),
            "torch_threads": torch.get_num_threads(), "seconds": seconds,
            "seconds_per_paragraph": seconds / len(frame), "cpu_seconds": cpu_seconds,
            "prompt_tokens_mean": sum(prompt_tokens) / len(prompt_tokens), "prefix_tokens": prefix_tokens,
            "label_tokens": label_tokens,
            "characters_per_token": sum(map(len, prompts)) / sum(prompt_tokens),
            "tokens_processed": model.tokens_processed_,
            "tokens_per_second": model.tokens_processed_ / seconds,
            "prompt_tokens_per_second": model.prompt_tokens_ / seconds,
        }
        del model
        load_checkpoint.cache_clear()
    return result
