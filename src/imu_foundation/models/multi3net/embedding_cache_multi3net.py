"""A cache of sentence embeddings keyed by caption hash, stored as one safetensors file.

With a frozen text tower the sentence embedding of a caption never changes, so it is computed once and passed to
the model as ``sentence_embeds`` (skipping the encoder). The file holds ``keys (N, 32) uint8`` (SHA-256 of the
UTF-8 caption) and ``embeddings (N, D) float32``, plus the name of the encoder in the metadata so that embeddings
of different encoders are not mixed.

    >>> cache = SentenceEmbeddingCache(encoder_name="all-MiniLM-L6-v2")
    >>> embeds = cache.encode(captions, lambda batch: model.encode_sentences(batch, tokenizer))
    >>> cache.save("captions.safetensors")
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file, safe_open, save_file


def caption_key(caption: str) -> bytes:
    """SHA-256 digest of the caption's UTF-8 bytes (exact text: case and spacing matter)."""
    return hashlib.sha256(caption.encode("utf-8")).digest()


class SentenceEmbeddingCache:
    """Maps captions to sentence embeddings ``(D,)``; :meth:`encode` fills in what is missing."""

    def __init__(self, encoder_name: str = ""):
        self.encoder_name = encoder_name
        self._rows: dict[bytes, torch.Tensor] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, caption: str) -> bool:
        return caption_key(caption) in self._rows

    def add(self, captions: Sequence[str], embeddings: torch.Tensor) -> None:
        """Stores ``embeddings (N, D)`` of ``captions`` (N)."""
        if embeddings.ndim != 2 or embeddings.shape[0] != len(captions):
            raise ValueError(f"embeddings must be ({len(captions)}, D), got {tuple(embeddings.shape)}.")
        if self._rows and embeddings.shape[1] != self.dim:
            raise ValueError(f"embeddings have width {embeddings.shape[1]} but the cache holds width {self.dim}.")
        for caption, row in zip(captions, embeddings.detach().float().cpu()):
            self._rows[caption_key(caption)] = row.clone()

    @property
    def dim(self) -> int | None:
        return next(iter(self._rows.values())).shape[0] if self._rows else None

    def lookup(self, captions: Sequence[str]) -> torch.Tensor:
        """``(N, D)`` embeddings of ``captions``; ``KeyError`` naming the first captions that are not cached."""
        missing = [c for c in captions if caption_key(c) not in self._rows]
        if missing:
            raise KeyError(f"{len(missing)} captions are not cached, e.g. {missing[:3]}.")
        return torch.stack([self._rows[caption_key(c)] for c in captions])

    def encode(
        self, captions: Sequence[str], encode_fn: Callable[[list[str]], torch.Tensor], batch_size: int = 256
    ) -> torch.Tensor:
        """``(N, D)`` embeddings of ``captions``, calling ``encode_fn(list_of_captions) -> (n, D)`` only for the
        distinct captions not cached yet (in batches of ``batch_size``)."""
        todo = list(dict.fromkeys(c for c in captions if caption_key(c) not in self._rows))
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            self.add(batch, encode_fn(batch))
        return self.lookup(captions)

    def save(self, path: str | Path) -> None:
        """Writes the cache as safetensors (``keys``, ``embeddings``; ``encoder_name`` in the metadata)."""
        if not self._rows:
            raise ValueError("The cache is empty: nothing to save.")
        keys = torch.tensor([list(k) for k in self._rows], dtype=torch.uint8)
        embeddings = torch.stack(list(self._rows.values())).contiguous()
        save_file({"keys": keys, "embeddings": embeddings}, str(path), metadata={"encoder_name": self.encoder_name})

    @classmethod
    def load(cls, path: str | Path, encoder_name: str | None = None) -> SentenceEmbeddingCache:
        """Reads a cache written by :meth:`save`; ``encoder_name``, when given, must match the file's."""
        with safe_open(str(path), framework="pt") as f:
            stored_name = (f.metadata() or {}).get("encoder_name", "")
        if encoder_name is not None and encoder_name != stored_name:
            raise ValueError(f"{path} holds embeddings of {stored_name!r}, not {encoder_name!r}.")
        tensors = load_file(str(path))
        cache = cls(encoder_name=stored_name)
        cache._rows = {bytes(k.tolist()): row for k, row in zip(tensors["keys"], tensors["embeddings"])}
        return cache


__all__ = ["SentenceEmbeddingCache", "caption_key"]
