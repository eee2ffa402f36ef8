"""Build a tiny random Llama and a byte-level tokenizer trained on the export's paragraphs, offline, in seconds.

Run with a tool's own Python (it needs torch, transformers and tokenizers, which the project's tests do not load):
`python tiny_model.py EXPORT_FOLDER MODEL_FOLDER`. The model's answers are noise, but real ones: every layer of
the tool runs, and the test checks the tool's scores against the harness's on exactly these answers. Each label
name is one token of the vocabulary, made likely, so that a model asked to generate names labels, varying from
paragraph to paragraph.
"""

import sys
from pathlib import Path

import datasets
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SPECIAL = ["<unk>", "<s>", "</s>", "<pad>"]
LABEL_BOOST = 3.0


def main(export: str, out: str) -> None:
    texts = [row["text"] for language in ("en", "nl") for row in
             datasets.Dataset.from_parquet(str(Path(export, "paragraphs", f"{language}-00000-of-00001.parquet")))]
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIAL,
                                                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>",
                                      eos_token="</s>", pad_token="<pad>", model_max_length=1024)
    labels = sorted({name for config in ("topic", "stance") for name in
                     datasets.Dataset.from_parquet(str(Path(export, config, "en-00000-of-00001.parquet")))
                     .features["label"].names})
    words = [f" {label}" for label in labels]  # with the space before it, so that answers read as words
    wrapped.add_tokens(words)
    wrapped.save_pretrained(out)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(wrapped), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024,
                         bos_token_id=1, eos_token_id=2, pad_token_id=3, tie_word_embeddings=False,
                         initializer_range=1.0)  # large random weights: answers that vary from paragraph to paragraph
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # each label a likely next token, so that a generating tool's answers name labels
        model.lm_head.weight[wrapped.convert_tokens_to_ids(words)] *= LABEL_BOOST
    model.save_pretrained(out)


if __name__ == "__main__":
    main(*sys.argv[1:])
