"""The framed wavelet scalogram Esmaeilpour et al. call "DWT" (sec. 4.1.3), as a differentiable module.

The seed's DWT images come from Hanov's Wavelet Sound Explorer, which convolves the whole signal
with Morlet wavelets at log-spaced scales (from 2 samples up to ``sample_rate / 60``) by FFT; the
seed adds Haar and Mexican hat mother functions, 8 and 16 kHz, 50 ms frames with 50 % overlap
(also 30 and 70 ms, Fig. 5) and a logarithmic scale. Here:

1. **CWT.** Each row is PyWavelets' ``pywt.cwt`` (``method="conv"``) at one scale, reproduced
   exactly: the mother function's running integral is sampled at the scale, differenced and
   multiplied by ``-sqrt(scale)`` (unit-energy filters), and the centred ``len(audio)``
   outputs of the full convolution are kept (zeros outside the clip). The filters are built once
   in float64 from ``pywt.integrate_wavelet``; the convolution runs in torch by FFT, so it is
   differentiable and runs on any device. ``pywt.cwt`` accepts only continuous wavelets, so
   **Haar** is defined as the same construction applied to ``pywt.Wavelet("haar")``'s mother
   function (+1 on [0, 1/2), -1 on [1/2, 1)), exactly what ``pywt.cwt`` would compute if it took
   discrete wavelets.
2. **Scales.** ``n_scales`` centre frequencies log-spaced from ``f_min`` (default 60 Hz, Hanov's
   longest scale) to ``f_max`` (default Nyquist); scale = ``central_frequency * sample_rate / f``
   (``pywt.scale2frequency`` inverted; pywt reads the central frequency off an FFT of the mother
   function, on a 1/16 grid for the wavelets spanning [-8, 8], so it is exact for the default
   cmor1.5-1.0). Row 0 is the lowest frequency, as in the spectrograms.
3. **Frames.** Power ``|W|^2`` averaged over frames of ``frame_ms`` with ``overlap`` (hop =
   frame x (1 - overlap)), frames lying wholly inside the clip: ``1 + (T - frame) // hop`` of
   them. Power rather than magnitude is averaged because ``|W|`` of a real wavelet has a kink at
   every zero crossing of the coefficients, ``|W|^2`` is smooth. A frame must span at least one
   period of ``f_min``: for real wavelets ``|W|^2`` oscillates at twice the analysed frequency,
   and a shorter frame would report the oscillation's phase instead of the band's energy.
4. **Log scale.** ``10 log10(frame power)`` is clamped to [ceiling - top_db, ceiling] and mapped
   affinely onto [0, 1], the fixed map of ``spectral.py``: the ceiling is
   ``max_s ||h_s||_1^2``, the largest frame power any audio in [-1, 1] can reach
   (``|W_s[n]| <= sum_k |h_s[k]|``), so the map never depends on the clip.

No inverse: the frame average discards the phase and the time detail within each frame.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pywt
import torch
import torch.nn.functional as F
from scipy.fft import next_fast_len

from benchmark.budgets import Bounds
from benchmark.errors import BenchmarkError
from benchmark.representations.base import Representation
from benchmark.representations.spectral import DEFAULT_TOP_DB

#: the mother function is sampled at 2**precision points (pywt's ``precision``); 14 keeps at least
#: one point per output sample up to scale 2**14 / 16 = 1024 (cmor, mexh and morl span [-8, 8]),
#: i.e. down to 16 Hz at 16 kHz for cmor1.5-1.0, where pywt's default 12 would repeat samples
WAVELET_PRECISION = 14
#: Hanov's lowest analysed frequency (his longest scale is ``sample_rate / 60`` samples)
DEFAULT_F_MIN = 60.0
#: the complex Morlet (bandwidth 1.5, centre frequency 1.0) the seed's Tables 4 and 5 favour
DEFAULT_WAVELET = "cmor1.5-1.0"
#: spectrum values (batch x rows x FFT bins) processed at once: 128 MiB per complex64 temporary
CHUNK_ELEMENTS = 1 << 24
_CMOR = re.compile(r"cmor(\d+(?:\.\d*)?)-(\d+(?:\.\d*)?)")
_VALID_WAVELETS = "'haar', 'mexh', 'morl' or 'cmorB-C' with B, C > 0 (e.g. 'cmor1.5-1.0')"


def mother_wavelet(name: str) -> pywt.Wavelet | pywt.ContinuousWavelet:
    """The pywt wavelet for one of the seed's mother functions (plus the real Morlet)."""
    if name == "haar":
        return pywt.Wavelet("haar")
    match = _CMOR.fullmatch(name)
    if name in ("mexh", "morl") or (match and float(match[1]) > 0 and float(match[2]) > 0):
        return pywt.ContinuousWavelet(name)
    raise BenchmarkError(f"dwt: wavelet={name!r} must be {_VALID_WAVELETS}")


def cwt_filters(
    wavelet: pywt.Wavelet | pywt.ContinuousWavelet, scales: np.ndarray, precision: int = WAVELET_PRECISION
) -> list[tuple[np.ndarray, int]]:
    """Per scale, the float64 filter ``h`` and offset ``o`` with ``pywt.cwt(x)[s] = (x * h)[o : o + T]``.

    ``pywt.cwt`` convolves ``x`` with the sampled running integral ``g`` of the mother function,
    takes ``-sqrt(s) * diff`` and keeps the centred ``T`` values; folding the difference into the
    filter gives ``h = -sqrt(s) * (g[k] - g[k - 1])`` (length ``len(g) + 1``) and
    ``o = 1 + (len(g) - 2) // 2``.
    """
    integral, grid = pywt.integrate_wavelet(wavelet, precision=precision)
    if np.iscomplexobj(integral):
        integral = np.conj(integral)
    step = grid[1] - grid[0]
    filters = []
    for scale in scales:
        index = (np.arange(scale * (grid[-1] - grid[0]) + 1) / (scale * step)).astype(int)
        sampled = integral[index[index < integral.size]][::-1]
        filters.append(
            (-math.sqrt(scale) * np.diff(sampled, prepend=0, append=0), 1 + (sampled.size - 2) // 2)
        )
    return filters


class DWT(Representation):
    """Framed log wavelet scalogram ``(B, 1, n_scales, frames)`` in [0, 1] (Esmaeilpour et al., sec. 4.1.3).

    Rows are ``pywt.cwt`` at log-spaced scales (lowest frequency first), power-averaged over
    ``frame_ms`` frames with ``overlap``, in dB under the fixed ceiling ``max_s ||h_s||_1^2``.
    See the module docstring for the exact definition, Haar included.
    """

    name = "dwt"
    bounds = Bounds(0.0, 1.0)

    def __init__(
        self,
        sample_rate: int,
        *,
        wavelet: str = DEFAULT_WAVELET,
        n_scales: int = 64,
        f_min: float = DEFAULT_F_MIN,
        f_max: float | None = None,
        frame_ms: float = 50.0,
        overlap: float = 0.5,
        top_db: float = DEFAULT_TOP_DB,
    ) -> None:
        super().__init__(sample_rate)
        nyquist = self.sample_rate / 2
        f_max = nyquist if f_max is None else float(f_max)
        mother = mother_wavelet(wavelet)
        if n_scales < 1:
            raise BenchmarkError(f"dwt: n_scales={n_scales} must be >= 1")
        if not 0 < f_min < f_max <= nyquist:
            raise BenchmarkError(
                f"dwt: need 0 < f_min={f_min} < f_max={f_max} <= sample_rate / 2 = {nyquist}"
            )
        if not 0 <= overlap < 1:
            raise BenchmarkError(f"dwt: overlap={overlap} must be in [0, 1)")
        if not frame_ms >= 1000 / f_min:
            raise BenchmarkError(
                f"dwt: frame_ms={frame_ms} is shorter than one period of f_min={f_min} Hz "
                f"({1000 / f_min:.3g} ms); raise frame_ms or f_min"
            )
        if not top_db > 0:
            raise BenchmarkError(f"dwt: top_db={top_db} must be > 0 dB")
        self.wavelet = wavelet
        self.n_scales = int(n_scales)
        self.f_min, self.f_max = float(f_min), f_max
        self.frame_ms, self.overlap, self.top_db = float(frame_ms), float(overlap), float(top_db)
        self.frame_length = round(frame_ms * self.sample_rate / 1000)
        self.hop_length = max(1, round(self.frame_length * (1 - overlap)))
        self.frequencies = np.geomspace(self.f_min, f_max, self.n_scales)
        centre = pywt.central_frequency(mother, precision=WAVELET_PRECISION)
        self.scales = centre * self.sample_rate / self.frequencies
        # f_max <= Nyquist keeps every scale >= 2 x central frequency: >= 3 taps for each wavelet here
        filters = cwt_filters(mother, self.scales)
        # Shift every filter so that all rows share one output offset: one slice after the FFT.
        self.offset = max(offset for _, offset in filters)
        width = max(self.offset - offset + h.size for h, offset in filters)
        bank = np.zeros((self.n_scales, width), dtype=filters[0][0].dtype)
        for row, (h, offset) in zip(bank, filters, strict=True):
            row[self.offset - offset : self.offset - offset + h.size] = h
        self.complex = np.iscomplexobj(bank)
        bank_dtype = torch.complex64 if self.complex else torch.float32
        self.register_buffer("filters", torch.from_numpy(bank).to(bank_dtype), persistent=False)
        ceiling_power = float(np.abs(bank).sum(axis=1).max()) ** 2
        self.ceiling_db = 10.0 * math.log10(ceiling_power)
        self.floor_db = self.ceiling_db - self.top_db
        self.amin = 10.0 ** (self.floor_db / 10.0)

    def _spectrum(self, waveform: torch.Tensor) -> tuple[torch.Tensor, int]:
        """``(B, 1, bins)`` FFT of the zero-padded batch, long enough that no convolution wraps around."""
        if waveform.ndim != 2:
            raise BenchmarkError(f"dwt expects a batch of shape (B, T), got {tuple(waveform.shape)}")
        n_fft = next_fast_len(waveform.shape[-1] + self.filters.shape[-1] - 1, real=not self.complex)
        transform = torch.fft.fft if self.complex else torch.fft.rfft
        return transform(waveform, n=n_fft)[:, None], n_fft

    def _coefficients(
        self, spectrum: torch.Tensor, filters: torch.Tensor, n_fft: int, length: int
    ) -> torch.Tensor:
        """The rows ``filters`` of the bank applied to the signal whose padded spectrum is ``spectrum``."""
        if self.complex:
            product = spectrum * torch.fft.fft(filters.to(spectrum.dtype), n=n_fft)
            coefficients = torch.fft.ifft(product, n=n_fft)
        else:
            product = spectrum * torch.fft.rfft(filters.to(spectrum.real.dtype), n=n_fft)
            coefficients = torch.fft.irfft(product, n=n_fft)
        return coefficients[..., self.offset : self.offset + length]

    def _framed_power(
        self, spectrum: torch.Tensor, filters: torch.Tensor, n_fft: int, length: int
    ) -> torch.Tensor:
        coefficients = self._coefficients(spectrum, filters, n_fft, length)
        power = (
            coefficients.real.square() + coefficients.imag.square() if self.complex else coefficients.square()
        )
        return F.avg_pool1d(power, self.frame_length, self.hop_length)

    def cwt(self, waveform: torch.Tensor) -> torch.Tensor:
        """Coefficients ``(B, n_scales, T)``: ``pywt.cwt`` rows, lowest frequency first."""
        spectrum, n_fft = self._spectrum(waveform)
        return self._coefficients(spectrum, self.filters, n_fft, waveform.shape[-1])

    def frame_power(self, waveform: torch.Tensor) -> torch.Tensor:
        """Mean ``|W|^2`` per frame, ``(B, n_scales, frames)``, before the log map.

        Rows are computed in chunks of at most :data:`CHUNK_ELEMENTS` spectrum values and pooled at
        once, so without autograd the full ``(B, n_scales, T)`` coefficients never exist together.
        (Under autograd they are kept for the backward pass; checkpointing the chunks was measured
        to cost more time and memory than it saves.)
        """
        length = waveform.shape[-1]
        if length < self.frame_length:
            raise BenchmarkError(
                f"dwt: {length} samples are fewer than one frame_ms={self.frame_ms} frame "
                f"({self.frame_length} samples at {self.sample_rate} Hz)"
            )
        spectrum, n_fft = self._spectrum(waveform)
        rows = max(1, CHUNK_ELEMENTS // (spectrum.shape[0] * n_fft))
        chunks = [
            self._framed_power(spectrum, filters, n_fft, length) for filters in self.filters.split(rows)
        ]
        return torch.cat(chunks, dim=1)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        db = 10.0 * torch.log10(self.frame_power(waveform).clamp_min(self.amin))
        return ((db - self.floor_db) / self.top_db).clamp(0.0, 1.0).unsqueeze(1)

    def config(self) -> dict[str, object]:
        return {
            **super().config(),
            "wavelet": self.wavelet,
            "n_scales": self.n_scales,
            "f_min": self.f_min,
            "f_max": self.f_max,
            "scale_spacing": "log",
            "frame_ms": self.frame_ms,
            "overlap": self.overlap,
            "frame_aggregate": "mean_power",
            "precision": WAVELET_PRECISION,
            "top_db": self.top_db,
        }
