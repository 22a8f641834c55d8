"""STFT, Mel and MFCC spectrograms as differentiable torch modules with fixed, declared bounds.

Koerich et al. 2020, sec. II: n_fft 512, hop 256 and 64 mel filters at 22050 Hz give 257x431 STFT
and 64x431 Mel spectrograms for a 5 s (110250-sample) segment; sec. III-A: audio is rebuilt from an
STFT spectrogram with the original phase and from a Mel spectrogram with Griffin-Lim. Esmaeilpour
et al. (sec. 4.1) vary the window length, n_mfcc, the DCT normalization and cepstral liftering.

Each transform matches librosa 0.11 (``center=True``, ``pad_mode="constant"``, periodic Hann
window, Slaney mel scale and area normalization, DCT-II) and ends in a *fixed* affine map of dB
values onto the declared bounds: the ceiling is the largest value the transform can produce for
audio in [-1, 1] and the floor lies ``top_db`` below it. librosa's per-example reference
(``ref=np.max``, ``top_db=80``) is deliberately not used: it would make the map depend on the
clip, so one representation-domain budget would mean different perturbations for different clips.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from benchmark.budgets import Bounds
from benchmark.errors import BenchmarkError
from benchmark.representations.base import Representation
from benchmark.representations.filterbanks import dct_basis, mel_filterbank

#: dynamic range kept below the ceiling; 150 dB puts the floor (about -102 dB for n_fft 512, i.e.
#: |X| ~ 8e-6) below the float32 rounding of ordinary audio, so clipping there leaves the
#: original-phase STFT round trip at ~128 dB SNR, well above Koerich's 90 dB
DEFAULT_TOP_DB = 150.0
#: librosa's fast Griffin-Lim momentum (Perraudin et al. 2013): converges in far fewer iterations
GRIFFIN_LIM_MOMENTUM = 0.99
#: Griffin-Lim starting phase: "zeros" re-estimates it from nothing (Koerich's protocol, librosa's
#: ``init=None``); "reference" starts from the clean audio's phase, which the contract allows an
#: inverse to reuse, so the SNR measures the perturbation rather than the phase estimate
PHASE_INITS = ("zeros", "reference")
#: Esmaeilpour et al. sec. 4.3.3 (Fig. 4) sweep the window length over [0.25 n_fft, n_fft]
WINDOW_SCALE_RANGE = (0.25, 1.0)


class _Spectral(Representation):
    """Shared STFT front end and the fixed dB -> [0, 1] map; subclasses call :meth:`_set_ceiling`."""

    bounds = Bounds(0.0, 1.0)

    def __init__(
        self,
        sample_rate: int,
        n_fft: int,
        hop_length: int | None,
        win_length: int | None,
        top_db: float,
        window_scale: float | None = None,
    ) -> None:
        super().__init__(sample_rate)
        if n_fft < 2:
            raise BenchmarkError(f"{self.name}: n_fft={n_fft} must be >= 2")
        if window_scale is not None:
            low, high = WINDOW_SCALE_RANGE
            if win_length is not None:
                raise BenchmarkError(f"{self.name}: give win_length or window_scale, not both")
            if not low <= window_scale <= high:
                raise BenchmarkError(
                    f"{self.name}: window_scale={window_scale} must be in [{low}, {high}] "
                    f"(win_length = window_scale x n_fft; Esmaeilpour et al. Fig. 4)"
                )
            win_length = round(window_scale * n_fft)
        win_length = n_fft if win_length is None else int(win_length)
        hop_length = n_fft // 2 if hop_length is None else int(hop_length)
        if not 1 <= win_length <= n_fft:
            raise BenchmarkError(
                f"{self.name}: win_length={win_length} must be in [1, n_fft={n_fft}]; lower it or raise n_fft"
            )
        if hop_length < 1:
            raise BenchmarkError(f"{self.name}: hop_length={hop_length} must be >= 1 sample")
        if not top_db > 0:
            raise BenchmarkError(f"{self.name}: top_db={top_db} must be > 0 dB")
        self.n_fft = int(n_fft)
        self.hop_length = hop_length
        self.win_length = win_length
        self.top_db = float(top_db)
        # librosa pads a short window to n_fft on both sides (util.pad_center); so does torch.stft
        window = torch.hann_window(win_length, periodic=True, dtype=torch.float64)
        left = (n_fft - win_length) // 2
        window = F.pad(window, (left, n_fft - win_length - left))
        self.register_buffer("window", window.float(), persistent=False)
        #: hard bound of every STFT bin: |X| <= sum_n w[n] |x[n]| <= sum(w) for |x| <= 1
        self.window_sum = float(window.sum())

    def _set_ceiling(self, ceiling_power: float) -> None:
        """Fix the dB range from the hard ceiling of the (power) output."""
        self.ceiling_db = 10.0 * math.log10(ceiling_power)
        self.floor_db = self.ceiling_db - self.top_db
        #: the floor as a power: librosa's ``amin``, so the clamp and the log guard are one constant
        self.amin = 10.0 ** (self.floor_db / 10.0)

    def _stft(self, waveform: torch.Tensor) -> torch.Tensor:
        if waveform.ndim != 2:
            raise BenchmarkError(f"{self.name} expects a batch of shape (B, T), got {tuple(waveform.shape)}")
        return torch.stft(
            waveform,
            self.n_fft,
            self.hop_length,
            window=self.window.to(waveform.dtype),
            center=True,
            pad_mode="constant",
            return_complex=True,
        )

    def _istft(self, spectrum: torch.Tensor, length: int) -> torch.Tensor:
        """Overlap-add over the summed squared window, as librosa.istft. When ``length % hop``
        nears ``hop`` the last samples lie under one window's tail only, so edits to the last frame
        are amplified there by up to 1 / w (Koerich's 110250 samples at hop 256: at most 3.9x)."""
        window = self.window.to(spectrum.real.dtype)
        return torch.istft(spectrum, self.n_fft, self.hop_length, window=window, center=True, length=length)

    def _power(self, waveform: torch.Tensor) -> torch.Tensor:
        """|X|^2 from real and imaginary parts: finite gradients even at silent bins."""
        spectrum = self._stft(waveform)
        return spectrum.real.square() + spectrum.imag.square()

    def _normalize(self, power: torch.Tensor) -> torch.Tensor:
        """Power -> dB clamped to [floor, ceiling] -> [0, 1]."""
        db = 10.0 * torch.log10(power.clamp_min(self.amin))
        return ((db - self.floor_db) / self.top_db).clamp(0.0, 1.0)

    def _db(self, features: torch.Tensor) -> torch.Tensor:
        """Inverse of the affine part of :meth:`_normalize`: [0, 1] -> dB."""
        return self.floor_db + self.top_db * features

    def _covers_every_sample(self) -> bool:
        """Overlap-add needs every sample covered by a nonzero window (the NOLA condition); a Hann
        window with hop = window length (Esmaeilpour's n_fft 512 at hop 512) misses the frame edges."""
        squared = F.pad(self.window.double() ** 2, (0, -self.n_fft % self.hop_length))
        envelope = squared.reshape(-1, self.hop_length).sum(0)
        return bool(envelope.min() > 1e-10 * envelope.max())

    @property
    def invertible(self) -> bool:
        """Only where overlap-add can rebuild every sample: elsewhere there is no SNR to report."""
        return super().invertible and self._covers_every_sample()

    def _check_invertible(self) -> None:
        if not self._covers_every_sample():
            raise BenchmarkError(
                f"{self.name}: hop_length={self.hop_length} leaves samples outside every window of "
                f"win_length={self.win_length}, so it has no inverse; use hop_length < win_length"
            )

    def config(self) -> dict[str, object]:
        return {
            **super().config(),
            "n_fft": self.n_fft,
            "hop_length": self.hop_length,
            "win_length": self.win_length,
            "window": "hann",
            "center": True,
            "pad_mode": "constant",
            "top_db": self.top_db,
        }


class STFT(_Spectral):
    """Log-magnitude STFT ``(B, 1, n_fft // 2 + 1, frames)`` in [0, 1] (Koerich et al. 2020, sec. II).

    ``20 log10 |X|`` is clamped to [ceiling - top_db, ceiling], ceiling = ``20 log10(sum(window))``
    (the largest |X| any audio in [-1, 1] can reach), and mapped affinely onto [0, 1].
    """

    name = "stft"

    def __init__(
        self,
        sample_rate: int,
        *,
        n_fft: int = 512,
        hop_length: int | None = None,
        win_length: int | None = None,
        top_db: float = DEFAULT_TOP_DB,
        window_scale: float | None = None,
    ) -> None:
        super().__init__(sample_rate, n_fft, hop_length, win_length, top_db, window_scale)
        self._set_ceiling(self.window_sum**2)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self._normalize(self._power(waveform)).unsqueeze(1)

    def inverse(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Magnitude from ``features`` with the phase of ``reference``'s STFT, then inverse STFT
        (Koerich et al. 2020, sec. III-A; Table VII reports SNR > 90 dB for this round trip)."""
        self._check_invertible()
        magnitude = 10.0 ** (self._db(features[:, 0]) / 20.0)
        phase = torch.angle(self._stft(reference))
        return self._istft(torch.polar(magnitude, phase), reference.shape[-1])


class _MelSpectral(_Spectral):
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


class Mel(_MelSpectral):
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


class MFCC(_MelSpectral):
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
