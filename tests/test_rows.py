"""Row stores: stored rows read back exactly what was written, in any order, and a test set
streamed to disk is the same test set as one held in memory."""

from __future__ import annotations

import json

import pytest
import torch

from benchmark.cells.rows import ResidentRows, StoredRows, store_rows, stored_extra
from benchmark.cells.testset import RowPlacement, load_test_set
from benchmark.data.protocol import describe_data, open_dataset

CPU = torch.device("cpu")


def _chunks(values: torch.Tensor, size: int):
    yield from values.split(size)


def test_stored_rows_read_any_index_like_the_tensor(tmp_path):
    values = torch.randn(23, 3, 5)
    stored = store_rows(tmp_path, "ab" * 32, _chunks(values, 4), CPU)
    assert isinstance(stored, StoredRows) and stored.shape == (23, 3, 5)
    index = torch.tensor([7, 2, 2, 22, 0, 8, 9, 10, 7])  # unsorted, repeated, with runs
    assert torch.equal(stored[index], values[index])
    assert torch.equal(stored[5:17], values[5:17])
    assert torch.equal(stored.subset(torch.tensor([3, 4, 20]))[1:], values[[4, 20]])
    resident = ResidentRows(values, "k")
    assert torch.equal(resident[index], stored[index]) and torch.equal(resident[2:4], values[2:4])
    assert torch.equal(stored[3], values[3]) and torch.equal(resident[3], values[3])


def test_a_stored_entry_is_reused_and_a_damaged_one_rewritten(tmp_path):
    values = torch.arange(12.0).reshape(6, 2)
    key = "cd" * 32
    store_rows(tmp_path, key, _chunks(values, 4), CPU, extra=lambda: {"labels": [1, 2]})
    found = stored_extra(tmp_path, key, CPU)
    assert found is not None and found[1] == {"labels": [1, 2]}

    def never():
        raise AssertionError("a valid entry must not be recomputed")
        yield  # pragma: no cover

    assert torch.equal(store_rows(tmp_path, key, never(), CPU)[:], values)
    data = found[0].path
    damaged = bytearray(data.read_bytes())
    damaged[5] ^= 0xFF  # one flipped byte: the checksum no longer matches
    data.write_bytes(bytes(damaged))
    assert stored_extra(tmp_path, key, CPU) is None
    assert torch.equal(store_rows(tmp_path, key, _chunks(values, 4), CPU)[:], values)
    meta = data.with_suffix(".json")
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "shape": [7, 2]}))  # wrong size
    assert stored_extra(tmp_path, key, CPU) is None


@pytest.mark.parametrize("tracks_per_class", [None, 1])
def test_a_streamed_test_set_equals_the_resident_one(tmp_path, monkeypatch, tracks_per_class):
    dataset = open_dataset("synth10", {"tracks_per_class": 6, "track_seconds": 2.0})
    info = describe_data(dataset, segment_seconds=1.0, overlap=0.5)
    resident = load_test_set(info, 1, tracks_per_class, RowPlacement(tmp_path, 1 << 30, CPU))
    streamed = load_test_set(info, 1, tracks_per_class, RowPlacement(tmp_path, 0, CPU))
    assert isinstance(resident.waveforms, ResidentRows) and isinstance(streamed.waveforms, StoredRows)
    assert torch.equal(resident.waveforms[:], streamed.waveforms[:])
    for name in ("labels", "track_index", "track_labels"):
        assert torch.equal(getattr(resident, name), getattr(streamed, name))
    # A warm re-run reads the stored test set back without cutting a single track.
    monkeypatch.setattr(type(dataset), "tracks_in", lambda self, fold: pytest.fail("re-cut the test set"))
    again = load_test_set(info, 1, tracks_per_class, RowPlacement(tmp_path, 0, CPU))
    assert torch.equal(again.waveforms[:], resident.waveforms[:])
    assert torch.equal(again.labels, resident.labels)


def test_an_empty_test_fold_is_one_line_and_stores_nothing(tmp_path):
    from benchmark.errors import BenchmarkError

    dataset = open_dataset("synth10", {"tracks_per_class": 5, "track_seconds": 2.0})
    info = describe_data(dataset, segment_seconds=1.0, overlap=0.5)
    with pytest.raises(BenchmarkError, match=r"test fold 7 is empty; .* has folds 0\.\.4"):
        load_test_set(info, 7, None, RowPlacement(tmp_path, 0, CPU))
    assert not list(tmp_path.rglob("*.f32"))
