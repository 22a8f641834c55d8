"""MFCC (Esmaeilpour et al. sec. 4.1.1): the DCT-II of the log mel, liftered or not."""

from __future__ import annotations

import math

import torch

from benchmark.budgets import Bounds
from benchmark.errors import BenchmarkError
from benchmark.representations.filterbanks import dct_basis
from benchmark.representations.mel import MelSpectral
from benchmark.representations.stft import DEFAULT_TOP_DB


class MFCC(MelSpectral):
    """MFCC ``(B, 1, n_mfcc, frames)`` in [-1, 1], the DCT-II of the log mel (Esmaeilpour, 4.1.1).

    The clamped mel power in dB (fixed reference 1.0) is transformed, optionally liftered, and
    divided by a fixed scale.

    Liftering multiplies coefficient n (1-based) by ``1 + (lifter / 2) sin(pi n / lifter)`` as
    librosa does (Esmaeilpour eq. 14 misprints the bracket). ``scale`` is the exact largest |c_k|
    over every dB vector in [floor, ceiling]^n_mels: a linear form peaks at a vertex of the box,
    taking floor or ceiling per band by the sign of its weight. Without liftering the k = 0 row
    attains it: ``sqrt(n_mels) * max(|floor|, |ceiling|)`` for ``dct_norm="ortho"`` and
    ``2 * n_mels * max(|floor|, |ceiling|)`` for ``dct_norm=None``. No inverse: the truncated DCT
    keeps only the spectral envelope, on top of what the mel bank already merged.
    """

    name = "mfcc"
    bounds = Bounds(-1.0, 1.0)

    def __init__(
        self,
        sample_rate: int,
        *,
        n_mfcc: int = 20,
        n_mels: int = 64,
        dct_norm: str | None = "ortho",
        lifter: float = 0.0,
        n_fft: int = 512,
        hop_length: int | None = None,
        win_length: int | None = None,
        f_min: float = 0.0,
        f_max: float | None = None,
        top_db: float = DEFAULT_TOP_DB,
        window_scale: float | None = None,
    ) -> None:
        super().__init__(
            sample_rate, n_fft, hop_length, win_length, n_mels, f_min, f_max, top_db, window_scale
        )
        if not 1 <= n_mfcc <= n_mels:
            raise BenchmarkError(f"mfcc: n_mfcc={n_mfcc} must be in [1, n_mels={n_mels}]")
        if dct_norm not in ("ortho", None):
            raise BenchmarkError(f"mfcc: dct_norm={dct_norm!r} must be 'ortho' or None")
        if lifter < 0:
            raise BenchmarkError(f"mfcc: lifter={lifter} must be >= 0 (0 disables liftering)")
        self.n_mfcc = int(n_mfcc)
        self.dct_norm = dct_norm
        self.lifter = float(lifter)
        basis = dct_basis(n_mfcc, n_mels, dct_norm).double()  # (n_mels, n_mfcc)
        if lifter > 0:
            order = torch.arange(1, n_mfcc + 1, dtype=torch.float64)
            basis = basis * (1 + (lifter / 2) * torch.sin(math.pi * order / lifter))
        at_floor, at_ceiling = basis * self.floor_db, basis * self.ceiling_db
        highest = torch.maximum(at_floor, at_ceiling).sum(0)
        lowest = torch.minimum(at_floor, at_ceiling).sum(0)
        self.scale = float(torch.maximum(highest.abs(), lowest.abs()).max())
        self.register_buffer("basis", (basis / self.scale).float(), persistent=False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        db = self._db(self._normalize(self._mel_power(waveform)))
        coefficients = self.basis.T.to(db.dtype) @ db
        return coefficients.clamp(-1.0, 1.0).unsqueeze(1)

    def config(self) -> dict[str, object]:
        return {**super().config(), "n_mfcc": self.n_mfcc, "dct_norm": self.dct_norm, "lifter": self.lifter}
