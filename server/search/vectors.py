"""Vectors: float32 little-endian packing, validation with path-labelled errors, exact cosine top-k in NumPy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from server.errors import bad_input

DTYPE = np.dtype("<f4")
MAX_DIMS = 4096
SCORE_DECIMALS = 6
FLOAT32_MAX = float(np.finfo(DTYPE).max)


def pack(vector: Sequence[float] | np.ndarray) -> bytes:
    """The stored form of a vector: float32 little-endian bytes (4 x dims)."""
    return np.asarray(vector, dtype=DTYPE).tobytes()


def unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=DTYPE)


def validate_vector(value: Any, dims: int | None, path: str) -> np.ndarray:
    """A finite, non-empty, non-zero list of numbers of length `dims` (when given), as float32."""
    if not isinstance(value, list | tuple) or not value:
        raise bad_input(f"{path} must be a non-empty list of numbers.", path)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise bad_input(f"{path} must list numbers only.", path)
    if not all(math.isfinite(v) for v in value):
        raise bad_input(f"{path} must not contain NaN or infinity.", path)
    if dims is not None and len(value) != dims:
        raise bad_input(f"{path} has {len(value)} dimensions; this embedding has {dims}.", path)
    if len(value) > MAX_DIMS:
        raise bad_input(f"{path} has {len(value)} dimensions; at most {MAX_DIMS} are supported.", path)
    if max(abs(v) for v in value) > FLOAT32_MAX:
        raise bad_input(f"{path} has values too large for float32.", path)
    vector = np.asarray(value, dtype=DTYPE)
    if not vector.any():
        raise bad_input(f"{path} is all zeros; cosine similarity needs a non-zero vector.", path)
    return vector


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(DTYPE)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (float32); zero rows stay zero, so they score 0."""
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    return np.divide(matrix, norms[:, None], out=np.zeros_like(matrix), where=norms[:, None] > 0)


def cosine_scores(unit_matrix: np.ndarray, query_unit: np.ndarray) -> np.ndarray:
    """Cosine of every row of a unit-row matrix (float32, n x d) with a unit query, rounded to SCORE_DECIMALS.

    Rounding to float32's honest precision makes a row's score with itself exactly 1.0 and keeps `minScore`
    thresholds such as 1.0 or 0.5 meaning what they say.
    """
    return np.round(np.einsum("ij,j->i", unit_matrix, query_unit).astype(np.float64), SCORE_DECIMALS)


class TopK:
    """Running best-`k` (score ≥ `min_score`) over batches; ties broken by ascending id, exactly."""

    def __init__(self, k: int, min_score: float | None) -> None:
        self.k = k
        self.min_score = -math.inf if min_score is None else min_score
        self.ids = np.empty(0, dtype=object)
        self.scores = np.empty(0, dtype=np.float64)

    def add(self, ids: np.ndarray, scores: np.ndarray) -> None:
        keep = scores >= self.min_score
        ids = np.concatenate([self.ids, ids[keep]])
        scores = np.concatenate([self.scores, scores[keep]])
        if len(scores) > self.k:
            floor = np.partition(scores, len(scores) - self.k)[len(scores) - self.k]
            ids, scores = ids[scores >= floor], scores[scores >= floor]
        order = np.lexsort((ids.astype(str), -scores))[: self.k]
        self.ids, self.scores = ids[order], scores[order]

    def result(self) -> list[tuple[str, float]]:
        return [(str(i), float(s)) for i, s in zip(self.ids, self.scores, strict=True)]
