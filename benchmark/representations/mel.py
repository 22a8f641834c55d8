"""The Mel spectrogram (Koerich et al. 2020, sec. II) and its Griffin-Lim inverse (sec. III-A)."""

from __future__ import annotations

import torch

from benchmark.errors import BenchmarkError
from benchmark.representations.filterbanks import mel_filterbank
from benchmark.representations.stft import DEFAULT_TOP_DB, Spectral

#: librosa's fast Griffin-Lim momentum (Perraudin et al. 2013): converges in far fewer iterations
GRIFFIN_LIM_MOMENTUM = 0.99
#: Griffin-Lim starting phase: "zeros" re-estimates it from nothing (Koerich's protocol, librosa's
#: ``init=None``); "reference" starts from the clean audio's phase, which the contract allows an
#: inverse to reuse, so the SNR measures the perturbation rather than the phase estimate
PHASE_INITS = ("zeros", "reference")


class MelSpectral(Spectral):
    """Mel power spectrogram ``filterbank^T |X|^2`` (librosa.feature.melspectrogram, power 2)."""

    def __init__(
        self,
        sample_rate: int,
        n_fft: int,
        hop_length: int | None,
        win_length: int | None,
        n_mels: int,
        f_min: float,
        f_max: float | None,
        top_db: float,
        window_scale: float | None,
    ) -> None:
        super().__init__(sample_rate, n_fft, hop_length, win_length, top_db, window_scale)
        f_max = self.sample_rate / 2 if f_max is None else float(f_max)
        if n_mels < 1:
            raise BenchmarkError(f"{self.name}: n_mels={n_mels} must be >= 1")
        if not 0 <= f_min < f_max <= self.sample_rate / 2:
            raise BenchmarkError(
                f"{self.name}: need 0 <= f_min={f_min} < f_max={f_max} <= sample_rate / 2 = "
                f"{self.sample_rate / 2}"
            )
        self.n_mels = int(n_mels)
        self.f_min = float(f_min)
        self.f_max = f_max
        filterbank = mel_filterbank(n_fft // 2 + 1, self.f_min, f_max, n_mels, self.sample_rate)
        self.register_buffer("filterbank", filterbank, persistent=False)
        # band m is sum_k fb[k, m] |X_k|^2 <= (sum_k fb[k, m]) * sum(window)^2: the widest band bounds all
        self._set_ceiling(float(filterbank.double().sum(0).max()) * self.window_sum**2)

    def _mel_power(self, waveform: torch.Tensor) -> torch.Tensor:
        power = self._power(waveform)
        return self.filterbank.T.to(power.dtype) @ power

    def config(self) -> dict[str, object]:
        return {
            **super().config(),
            "n_mels": self.n_mels,
            "f_min": self.f_min,
            "f_max": self.f_max,
            "mel_scale": "slaney",
            "mel_norm": "slaney",
            "power": 2.0,
        }


class Mel(MelSpectral):
    """Log mel power spectrogram ``(B, 1, n_mels, frames)`` in [0, 1] (Koerich et al. 2020, sec. II).

    ``10 log10(mel power)`` is clamped to [ceiling - top_db, ceiling], ceiling = the largest mel
    band any audio in [-1, 1] can reach (max band weight sum times ``sum(window)^2``), and mapped
    affinely onto [0, 1]. Power (not magnitude) is used because it is librosa's melspectrogram
    default and what the MFCC is computed from.
    """

    name = "mel"
    estimates_phase = True

    def __init__(
        self,
        sample_rate: int,
        *,
        n_fft: int = 512,
        hop_length: int | None = None,
        win_length: int | None = None,
        n_mels: int = 64,
        f_min: float = 0.0,
        f_max: float | None = None,
        top_db: float = DEFAULT_TOP_DB,
        n_iter: int = 32,
        phase_init: str = "zeros",
        window_scale: float | None = None,
    ) -> None:
        super().__init__(
            sample_rate, n_fft, hop_length, win_length, n_mels, f_min, f_max, top_db, window_scale
        )
        if n_iter < 0:
            raise BenchmarkError(f"mel: n_iter={n_iter} Griffin-Lim iterations must be >= 0")
        if phase_init not in PHASE_INITS:
            raise BenchmarkError(f"mel: phase_init={phase_init!r} must be one of {', '.join(PHASE_INITS)}")
        self.n_iter = int(n_iter)
        self.phase_init = phase_init
        # minimum-norm least-squares inverse of the bank (SVD, so empty filters do not break it):
        # one matmul, deterministic, differentiable; negative powers it yields are clipped to zero
        pseudo_inverse = torch.linalg.pinv(self.filterbank.double().T)
        self.register_buffer("filterbank_pinv", pseudo_inverse.float(), persistent=False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self._normalize(self._mel_power(waveform)).unsqueeze(1)

    def _magnitude(self, features: torch.Tensor) -> torch.Tensor:
        """Mel -> linear STFT magnitude by the filterbank pseudo-inverse (negative powers clipped)."""
        self._check_invertible()
        mel_power = 10.0 ** (self._db(features[:, 0]) / 10.0)
        power = self.filterbank_pinv.to(mel_power.dtype) @ mel_power
        return power.clamp_min(torch.finfo(power.dtype).tiny).sqrt()

    def same_phase_inverse(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """The pseudo-inverse magnitude with ``reference``'s STFT phase (as :meth:`STFT.inverse`):
        the SNR's reconstruction, where a perturbation changes the audio only through its magnitude."""
        phase = torch.angle(self._stft(reference))
        return self._istft(torch.polar(self._magnitude(features), phase), reference.shape[-1])

    def inverse(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Mel -> linear power by the filterbank pseudo-inverse, then Griffin-Lim (Koerich et al.
        2020, sec. III-A). ``reference`` gives the length, and with ``phase_init="reference"`` the
        starting phase; from zero phase the clean round trip has SNR below 0 dB (the phase is
        re-estimated, so the audio is uncorrelated with the original)."""
        magnitude = self._magnitude(features)
        if self.phase_init == "reference":
            angles = torch.polar(torch.ones_like(magnitude), torch.angle(self._stft(reference)))
        else:
            angles = torch.complex(torch.ones_like(magnitude), torch.zeros_like(magnitude))
        return self._griffin_lim(magnitude, angles, reference.shape[-1])

    def _griffin_lim(self, magnitude: torch.Tensor, angles: torch.Tensor, length: int) -> torch.Tensor:
        """Fast Griffin-Lim as librosa.griffinlim, from a fixed initial phase (deterministic), with
        this module's own STFT so the padding matches the forward transform."""
        previous = torch.zeros_like(angles)
        tiny = torch.finfo(magnitude.dtype).tiny
        for _ in range(self.n_iter):
            rebuilt = self._stft(self._istft(magnitude * angles, length))
            angles = rebuilt - (GRIFFIN_LIM_MOMENTUM / (1 + GRIFFIN_LIM_MOMENTUM)) * previous
            angles = angles / (angles.abs() + tiny)
            previous = rebuilt
        return self._istft(magnitude * angles, length)

    def config(self) -> dict[str, object]:
        return {
            **super().config(),
            "inverse": "pinv+griffin_lim",
            "griffin_lim_iters": self.n_iter,
            "griffin_lim_momentum": GRIFFIN_LIM_MOMENTUM,
            "phase_init": self.phase_init,
        }
