"""Vector packing, validation errors (code, message, path) and the exact running top-k."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.errors import CatalogError, ErrorCode
from server.search.vectors import TopK, cosine_scores, pack, unit, unit_rows, unpack, validate_vector


def test_pack_is_float32_little_endian() -> None:
    assert pack([1.0, -2.0]) == b"\x00\x00\x80\x3f\x00\x00\x00\xc0"
    assert unpack(pack([0.5, 0.25, 3.0])).tolist() == [0.5, 0.25, 3.0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "similarTo.vector must be a non-empty list of numbers."),
        (None, "similarTo.vector must be a non-empty list of numbers."),
        ([1.0, "x", 2.0], "similarTo.vector must list numbers only."),
        ([1.0, True, 2.0], "similarTo.vector must list numbers only."),
        ([1.0, math.nan, 2.0], "similarTo.vector must not contain NaN or infinity."),
        ([1.0, math.inf, 2.0], "similarTo.vector must not contain NaN or infinity."),
        ([1.0, 2.0], "similarTo.vector has 2 dimensions; this embedding has 3."),
        ([1e39, 1.0, 1.0], "similarTo.vector has values too large for float32."),
        ([0, 0.0, 0], "similarTo.vector is all zeros; cosine similarity needs a non-zero vector."),
    ],
)
def test_bad_vectors_are_coded_errors(value: object, message: str) -> None:
    with pytest.raises(CatalogError) as err:
        validate_vector(value, 3, "similarTo.vector")
    assert (err.value.code, err.value.message, err.value.path) == (
        ErrorCode.BAD_USER_INPUT,
        message,
        "similarTo.vector",
    )


def test_cosine_scores_match_definition_and_zero_rows_score_zero() -> None:
    matrix = np.array([[1, 0], [1, 1], [0, 0], [-2, 0]], dtype=np.float32)
    scores = cosine_scores(unit_rows(matrix), unit(np.array([1, 0], dtype=np.float32)))
    assert scores.tolist() == [1.0, round(math.sqrt(0.5), 6), 0.0, -1.0]


def test_topk_breaks_ties_by_id_and_applies_min_score() -> None:
    best = TopK(3, 0.5)
    best.add(np.array(["c", "a", "d"], dtype=object), np.array([0.9, 0.9, 0.4]))
    best.add(np.array(["b", "e"], dtype=object), np.array([0.9, 0.95]))
    assert best.result() == [("e", 0.95), ("a", 0.9), ("b", 0.9)]


@given(
    scores=st.lists(st.sampled_from([0.1, 0.2, 0.5, 0.7, 0.9]), min_size=0, max_size=40),
    k=st.integers(1, 10),
    batch=st.integers(1, 7),
    min_score=st.none() | st.sampled_from([0.2, 0.6]),
)
def test_topk_over_batches_equals_one_sort(scores: list[float], k: int, batch: int, min_score: float | None) -> None:
    ids = [f"r{i:03d}" for i in range(len(scores))][::-1]
    best = TopK(k, min_score)
    for start in range(0, len(ids), batch):
        best.add(np.array(ids[start : start + batch], dtype=object), np.array(scores[start : start + batch]))
    expected = sorted(
        (p for p in zip(ids, scores, strict=True) if min_score is None or p[1] >= min_score),
        key=lambda p: (-p[1], p[0]),
    )[:k]
    assert best.result() == expected
