"""Peak memory against dataset size: a GTZAN-like folder dataset (30 s clips at 22,050 Hz, 5 s
segments at 75 % overlap, 3 folds, as `koerich2020` cuts GTZAN) of a growing number of tracks,
evaluated with one FGSM cell on an STFT model, in a fresh process per run.

With the test set resident (``--resident-mb`` large) peak RSS grows with the tracks; streamed
from the cache (``--resident-mb 0``) it stays flat: the process holds a batch, not the dataset.

Run: ``python -m pytest tests/test_bench_memory.py -m benchmark --benchmark-enable -s``.
The GTZAN-sized point (1000 tracks) is ``python tests/test_bench_memory.py --tracks 1000``
(about 10 minutes and 10 GB of disk here; see the README's Performance table).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

pytestmark = pytest.mark.benchmark

RATE = 22050
CLASSES = 10
SUITE = """
name = "memory"
version = 1
description = "peak-RSS benchmark: GTZAN-like folder data, one FGSM cell"
dataset = "folder"
dataset_params = {{ root = "{root}", sample_rate = 22050, num_folds = 3 }}
seed = 0
test_fold = 0
segment_seconds = 5.0
overlap = 0.75
batch_size = 32

[models.tiny_stft]
architecture = "cnn2d"
representation = "stft"
representation_params = {{ n_fft = 512, hop_length = 256 }}

[[attacks]]
attack = "fgsm"
backends = ["native"]
models = ["tiny_stft"]
budgets = {{ stft = [0.01] }}
"""


def write_tracks(root: Path, count: int, seconds: float = 30.0) -> None:
    """``count`` noisy tones in ``CLASSES`` class folders (16-bit WAV, like GTZAN's files)."""
    rng = np.random.default_rng(0)
    time = np.arange(int(seconds * RATE)) / RATE
    for index in range(count):
        label = index % CLASSES
        folder = root / f"class{label}"
        folder.mkdir(parents=True, exist_ok=True)
        tone = 0.3 * np.sin(2 * np.pi * (200 + 80 * label) * time) + 0.05 * rng.standard_normal(len(time))
        sf.write(folder / f"track{index:04d}.wav", tone.astype(np.float32), RATE, subtype="PCM_16")


class TinyNetwork(torch.nn.Module):
    """A randomly initialised STFT classifier: cheap, so the run's memory is the data's."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, kernel_size=5, stride=4)
        self.head = torch.nn.Linear(4, CLASSES)

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(self.conv(spectrogram)).mean(dim=(2, 3))
        return self.head(hidden)


class TinySource:
    """A model source with one untrained model (no checkpoint: the data are generated here)."""

    def entries(self) -> list[str]:
        return ["tiny_stft"]

    def check(self, data) -> None:
        del data

    def load(self, entry: str, data):
        from benchmark.cells.inputs import ModelParts
        from benchmark.representations.base import build_representation

        torch.manual_seed(0)
        representation = build_representation("stft", data.sample_rate, {"n_fft": 512, "hop_length": 256})
        identity = {"benchmark": "memory", "seed": 0}
        info = {"architecture": "tiny", "config": "tiny", "parameters": 0, "checkpoint_sha256": "0" * 64}
        return ModelParts(representation, TinyNetwork(), identity, info)


def evaluate(root: Path, work: Path, resident_mb: int) -> None:
    """One run of the memory suite on ``root`` (in this process: the caller measures it)."""
    from benchmark.cells.cache import CellCache
    from benchmark.harness.run import Execution, run_suite
    from benchmark.plan.suite import load_suite

    work.mkdir(parents=True, exist_ok=True)
    (work / "memory.toml").write_text(SUITE.format(root=root))
    run_suite(
        load_suite(str(work / "memory.toml")),
        device="cpu",
        output_root=work / "out",
        cache=CellCache(work / "cache", enabled=False),
        source=TinySource(),
        execution=Execution(threads=1, resident_mb=resident_mb),
    )


def peak_rss_mb(root: Path, work: Path, resident_mb: int) -> float:
    """Peak resident set of a fresh process evaluating ``root`` (from the kernel's rusage)."""
    command = [sys.executable, __file__, "--evaluate", str(root), str(work), str(resident_mb)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, process.stderr.read().decode() if process.stderr else ""
    return usage.ru_maxrss / 1024  # KiB on Linux


def test_peak_rss_against_tracks(tmp_path: Path) -> None:
    """Streamed, peak RSS does not grow with the tracks; resident, it grows with them."""
    sizes, peaks = (30, 60, 120), {"resident": [], "streamed": []}
    for tracks in sizes:
        root = tmp_path / f"data{tracks}"
        write_tracks(root, tracks)
        for mode, resident_mb in (("resident", 1 << 20), ("streamed", 0)):
            peaks[mode].append(peak_rss_mb(root, tmp_path / f"{mode}{tracks}", resident_mb))
    segments = [21 * -(-tracks // 3) for tracks in sizes]  # fold 0 holds a third of the tracks
    print(f"\ntracks {sizes}, test segments {segments}")
    for mode, values in peaks.items():
        print(f"peak RSS {mode}: {[round(v) for v in values]} MB")
    resident_growth = peaks["resident"][-1] - peaks["resident"][0]
    streamed_growth = peaks["streamed"][-1] - peaks["streamed"][0]
    assert streamed_growth < 0.25 * resident_growth, (streamed_growth, resident_growth)


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--evaluate", nargs=3, metavar=("ROOT", "WORK", "RESIDENT_MB"))
    parser.add_argument("--tracks", type=int, help="write this many tracks and measure, streamed")
    parser.add_argument("--work", type=Path, default=Path("/tmp/arb-memory-bench"))
    args = parser.parse_args()
    if args.evaluate:
        root, work, resident_mb = args.evaluate
        evaluate(Path(root), Path(work), int(resident_mb))
        return
    root = args.work / f"data{args.tracks}"
    if not root.is_dir():
        write_tracks(root, args.tracks)
    print(f"{args.tracks} tracks: peak RSS streamed {peak_rss_mb(root, args.work / 'run', 0):.0f} MB")


if __name__ == "__main__":
    _main()
