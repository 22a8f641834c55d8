"""Representations match librosa 0.11, stay inside their declared bounds, are differentiable, and
invert as Koerich et al. 2020 (sec. III-A, Table VII) require."""

from __future__ import annotations

import math
from collections.abc import Callable

import librosa
import numpy as np
import pytest
import torch

from benchmark.errors import BenchmarkError
from benchmark.metrics import snr_db as harness_snr
from benchmark.registry import REPRESENTATIONS
from benchmark.representations.base import Representation
from benchmark.representations.spectral import MFCC, STFT, Mel
from benchmark.representations.waveform import Waveform

SAMPLE_RATES = (16000, 22050)


def noisy_tone(sample_rate: int, seconds: float = 0.5) -> np.ndarray:
    """White noise (std 0.1) plus a 440 Hz tone (amplitude 0.5): energy in every bin."""
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    noise = 0.1 * np.random.default_rng(0).standard_normal(t.size)
    return np.clip(noise + 0.5 * np.sin(2 * np.pi * 440 * t), -1, 1).astype(np.float32)


def harmonic(sample_rate: int, seconds: float = 0.5) -> np.ndarray:
    """220 Hz with four overtones, amplitudes 0.2 / k."""
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    return sum(0.2 / k * np.sin(2 * np.pi * 220 * k * t) for k in range(1, 6)).astype(np.float32)


def snr_db(clean: np.ndarray | torch.Tensor, rebuilt: np.ndarray | torch.Tensor) -> float:
    """Koerich et al. 2020 eq. 3-4: 20 log10(rms(x_r) / rms(x - x_r))."""
    clean, rebuilt = np.asarray(clean, dtype=np.float64), np.asarray(rebuilt, dtype=np.float64)
    return 20 * math.log10(np.sqrt(np.mean(rebuilt**2)) / np.sqrt(np.mean((clean - rebuilt) ** 2)))


def batch(audio: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(audio)[None]


def all_representations(sample_rate: int) -> list[Representation]:
    return [
        Waveform(sample_rate),
        STFT(sample_rate),
        STFT(sample_rate, n_fft=2048, win_length=1024, hop_length=512),
        Mel(sample_rate),
        MFCC(sample_rate),
        MFCC(sample_rate, dct_norm=None, lifter=22),
        MFCC(sample_rate, n_mfcc=40, lifter=100),
    ]


def test_catalog_names_resolve_to_the_classes() -> None:
    for name, cls in {"waveform": Waveform, "stft": STFT, "mel": Mel, "mfcc": MFCC}.items():
        assert REPRESENTATIONS.get(name) is cls
        assert cls.name == name


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
def test_stft_matches_librosa(sample_rate: int) -> None:
    """|X| within 1e-5 of librosa's peak (measured 2.3e-7), normalized output within 1e-4
    (measured 6.2e-6), on the same float32 audio."""
    audio = noisy_tone(sample_rate)
    rep = STFT(sample_rate)
    reference = np.abs(librosa.stft(audio, n_fft=512, hop_length=256, center=True))
    magnitude = rep._power(batch(audio))[0].sqrt().numpy()
    assert np.abs(magnitude - reference).max() <= 1e-5 * reference.max()
    db = librosa.power_to_db(reference**2, ref=1.0, amin=rep.amin, top_db=None)
    expected = np.clip((db - rep.floor_db) / rep.top_db, 0, 1)
    np.testing.assert_allclose(rep(batch(audio))[0, 0].numpy(), expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
def test_mel_matches_librosa(sample_rate: int) -> None:
    """Mel power within 1e-5 of librosa's peak (measured 1.0e-6), normalized output within 1e-5
    (measured 3.6e-7)."""
    audio = noisy_tone(sample_rate)
    rep = Mel(sample_rate)
    reference = librosa.feature.melspectrogram(
        y=audio, sr=sample_rate, n_fft=512, hop_length=256, n_mels=64, center=True, power=2.0
    )
    power = rep._mel_power(batch(audio))[0].numpy()
    assert np.abs(power - reference).max() <= 1e-5 * reference.max()
    db = librosa.power_to_db(reference, ref=1.0, amin=rep.amin, top_db=None)
    expected = np.clip((db - rep.floor_db) / rep.top_db, 0, 1)
    np.testing.assert_allclose(rep(batch(audio))[0, 0].numpy(), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
@pytest.mark.parametrize(("dct_norm", "lifter"), [("ortho", 0), ("ortho", 22), (None, 0), (None, 22)])
def test_mfcc_matches_librosa(sample_rate: int, dct_norm: str | None, lifter: int) -> None:
    """librosa.feature.mfcc of the same fixed-reference dB mel (top_db=None), divided by the same
    scale, within 1e-6 in [-1, 1] units (measured <= 8.2e-8)."""
    audio = noisy_tone(sample_rate)
    rep = MFCC(sample_rate, n_mfcc=20, dct_norm=dct_norm, lifter=lifter)
    mel = librosa.feature.melspectrogram(y=audio, sr=sample_rate, n_fft=512, hop_length=256, n_mels=64)
    db = librosa.power_to_db(mel, ref=1.0, amin=rep.amin, top_db=None)
    expected = librosa.feature.mfcc(S=db, n_mfcc=20, norm=dct_norm, lifter=lifter) / rep.scale
    np.testing.assert_allclose(rep(batch(audio))[0, 0].numpy(), expected, rtol=0, atol=1e-6)


def test_mfcc_scale_is_the_documented_constant() -> None:
    """Without liftering the k = 0 row sets the scale: sqrt(n_mels) m (ortho), 2 n_mels m (None)."""
    ortho, plain = MFCC(22050), MFCC(22050, dct_norm=None)
    extreme = max(abs(ortho.floor_db), abs(ortho.ceiling_db))
    assert ortho.scale == pytest.approx(math.sqrt(64) * extreme, rel=1e-6)
    assert plain.scale == pytest.approx(2 * 64 * extreme, rel=1e-6)
    assert MFCC(22050, lifter=22).scale > ortho.scale


def test_koerich_shapes() -> None:
    """Koerich et al. 2020 sec. II: 5 s at 22050 Hz -> 257x431 STFT and 64x431 Mel."""
    assert STFT(22050).output_shape(110250) == (1, 257, 431)
    assert Mel(22050).output_shape(110250) == (1, 64, 431)
    assert MFCC(22050, n_mfcc=13).output_shape(110250) == (1, 13, 431)
    assert Waveform(22050).output_shape(110250) == (1, 110250)


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
def test_outputs_stay_inside_declared_bounds(sample_rate: int) -> None:
    """Silence, full-scale square waves, constant +1 and uniform full-scale noise."""
    n = sample_rate // 4
    t = torch.arange(n) / sample_rate
    square = torch.where(torch.sin(2 * math.pi * 100 * t) >= 0, 1.0, -1.0)
    inputs = torch.stack(
        [
            torch.zeros(n),
            square,
            torch.where(torch.sin(2 * math.pi * 3000 * t) >= 0, 1.0, -1.0),
            torch.ones(n),
            -torch.ones(n),
            torch.rand(n, generator=torch.Generator().manual_seed(0)) * 2 - 1,
            torch.from_numpy(noisy_tone(sample_rate, n / sample_rate)),
        ]
    )
    for rep in all_representations(sample_rate):
        out = rep(inputs)
        assert torch.isfinite(out).all(), rep.config()
        assert out.min() >= rep.bounds.lower and out.max() <= rep.bounds.upper, rep.config()


def test_bounds_are_tight() -> None:
    """Constant +1 reaches the STFT ceiling at DC (interior frames) and silence gives MFCC c0 = -1
    (every band at the floor, |floor| > ceiling): the fixed scales waste none of the range."""
    stft_out = STFT(16000)(torch.ones(1, 4000))
    assert stft_out[0, 0, 0, 2:-2].min() >= 1 - 1e-6
    mfcc_out = MFCC(16000)(torch.zeros(1, 4000))
    torch.testing.assert_close(mfcc_out[0, 0, 0], -torch.ones(mfcc_out.shape[-1]))


def test_gradients_are_finite_and_nonzero() -> None:
    """d(sum of output)/d(waveform): finite on silence (every bin at the floor), nonzero on audio."""
    audio = batch(noisy_tone(16000, 0.25))
    for rep in all_representations(16000):
        for waveform in (torch.zeros_like(audio), audio):
            waveform = waveform.clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(rep(waveform).sum(), waveform)
            assert torch.isfinite(grad).all(), rep.config()
        assert grad.abs().sum() > 0, rep.config()


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
@pytest.mark.parametrize(("n_fft", "win_length", "hop_length"), [(512, None, None), (2048, 1024, 512)])
def test_stft_round_trip_with_original_phase(
    sample_rate: int, n_fft: int, win_length: int | None, hop_length: int | None
) -> None:
    """Koerich et al. 2020 Table VII: SNR > 90 dB on clean input (measured 128-129 dB)."""
    audio = batch(noisy_tone(sample_rate)[: sample_rate // 2 - 3])  # a length off the hop grid
    rep = STFT(sample_rate, n_fft=n_fft, win_length=win_length, hop_length=hop_length)
    rebuilt = rep.inverse(rep(audio), audio)
    assert rebuilt.shape == audio.shape
    assert snr_db(audio[0], rebuilt[0]) > 90


def test_mel_inverse_from_zero_phase() -> None:
    """Koerich's protocol: right length, finite, deterministic, and the rebuilt audio's mel power is
    within 15 % (relative L2) of the target (measured 7.8 %); the SNR against the original is not
    meaningful here, since the phase is re-estimated (measured -2.6 dB)."""
    audio = batch(harmonic(22050))
    rep = Mel(22050)
    features = rep(audio)
    rebuilt = rep.inverse(features, audio)
    assert rebuilt.shape == audio.shape and torch.isfinite(rebuilt).all()
    torch.testing.assert_close(rep.inverse(features, audio), rebuilt, rtol=0, atol=0)
    target, got = rep._mel_power(audio), rep._mel_power(rebuilt)
    assert (got - target).norm() / target.norm() < 0.15


def test_mel_inverse_from_reference_phase_has_positive_snr() -> None:
    """Starting Griffin-Lim from the clean phase: SNR > 3 dB on a harmonic signal (measured 5.7 dB)."""
    audio = batch(harmonic(22050))
    rep = Mel(22050, phase_init="reference")
    rebuilt = rep.inverse(rep(audio), audio)
    assert rebuilt.shape == audio.shape and torch.isfinite(rebuilt).all()
    assert snr_db(audio[0], rebuilt[0]) > 3


def _snr(clean: torch.Tensor, adversarial: torch.Tensor) -> torch.Tensor:
    """The harness's SNR (Koerich eq. 3-4) of one reconstruction against another, per example."""
    return harness_snr(clean, adversarial - clean)


def test_mel_same_phase_snr_measures_the_perturbation() -> None:
    """Clean and perturbed Mel features rebuilt with the clean waveform's phase differ by the
    perturbation only. A feature shift of d everywhere multiplies every mel power by
    10^(top_db d / 10), so (the pseudo-inverse being linear) every magnitude by g = 10^(top_db d / 20):
    the audio is g x the clean rebuild and SNR = -20 log10(g - 1) (35.18 dB for d = 0.001)."""
    audio = batch(noisy_tone(16000)).repeat(2, 1)
    rep = Mel(16000, n_iter=16)
    assert rep.estimates_phase and not STFT(16000).estimates_phase
    features = rep(audio)
    clean = rep.same_phase_inverse(features, audio)
    assert torch.isinf(_snr(clean, rep.same_phase_inverse(features.clone(), audio))).all()
    tiny = features + 1e-6 * (2 * torch.rand(features.shape, generator=torch.Generator().manual_seed(0)) - 1)
    assert (_snr(clean, rep.same_phase_inverse(tiny, audio)) > 90).all()  # measured 99 dB
    g = 10 ** (rep.top_db * 0.001 / 20)
    shifted = _snr(clean, rep.same_phase_inverse(features + 0.001, audio))
    torch.testing.assert_close(
        shifted, torch.full((2,), -20 * math.log10(g - 1), dtype=torch.float64), atol=0.01, rtol=0
    )
    # an FGSM-like sign pattern of the same size: about the same SNR with the phase held (measured
    # 34.4 dB); Griffin-Lim re-estimates each phase and measures its own estimate instead (-2.7 dB)
    signs = torch.sign(torch.randn(features.shape, generator=torch.Generator().manual_seed(1)))
    assert (_snr(clean, rep.same_phase_inverse(features + 0.001 * signs, audio)) > 32).all()
    griffin_lim = rep.inverse(features, audio)
    assert (_snr(griffin_lim, rep.inverse(features + 0.001 * signs, audio)) < 10).all()


def test_stft_same_phase_inverse_is_its_inverse_and_resized_mel_keeps_the_phase() -> None:
    audio = batch(noisy_tone(16000))
    stft = STFT(16000)
    features = stft(audio)
    torch.testing.assert_close(
        stft.same_phase_inverse(features, audio), stft.inverse(features, audio), rtol=0, atol=0
    )
    resized = REPRESENTATIONS.get("mel_resized")(16000, height=32, width=16)
    assert resized.estimates_phase
    features = resized(audio)
    clean = resized.same_phase_inverse(features, audio)
    torch.testing.assert_close(clean, Mel(16000).same_phase_inverse(Mel(16000)(audio), audio))
    assert (_snr(clean, resized.same_phase_inverse(features + 0.001, audio)) > 20).all()


def test_waveform_is_identity() -> None:
    audio = batch(noisy_tone(16000, 0.1))
    rep = Waveform(16000)
    assert rep(audio).shape == (1, 1, audio.shape[-1])
    torch.testing.assert_close(rep.inverse(rep(audio), audio), audio, rtol=0, atol=0)


def test_invertibility_and_config() -> None:
    assert STFT(16000).invertible and Mel(16000).invertible and Waveform(16000).invertible
    assert not MFCC(16000).invertible
    with pytest.raises(BenchmarkError, match="no inverse"):
        MFCC(16000).inverse(torch.zeros(1, 1, 20, 3), torch.zeros(1, 512))
    config = MFCC(16000, n_mfcc=13, dct_norm=None, lifter=22, n_fft=1024).config()
    assert config["name"] == "mfcc" and config["sample_rate"] == 16000
    expected = {"n_mfcc": 13, "dct_norm": None, "lifter": 22.0, "n_fft": 1024, "hop_length": 512}
    assert expected.items() <= config.items()
    assert Mel(16000).config()["win_length"] == 512 and Mel(16000).config()["f_max"] == 8000


def test_double_precision_input_matches_float32() -> None:
    audio = batch(noisy_tone(16000, 0.1))
    for rep in all_representations(16000):
        torch.testing.assert_close(rep(audio.double()).float(), rep(audio), rtol=0, atol=1e-4)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: STFT(16000, n_fft=512, win_length=1024), "win_length=1024"),
        (lambda: Mel(16000, win_length=513), "win_length=513"),
        (lambda: MFCC(16000, n_mfcc=40, n_mels=32), "n_mfcc=40"),
        (lambda: MFCC(16000, dct_norm="l2"), "dct_norm"),
        (lambda: MFCC(16000, lifter=-1), "lifter"),
        (lambda: Mel(16000, f_max=9000), "f_max"),
        (lambda: Mel(16000, phase_init="random"), "phase_init"),
        (lambda: STFT(16000, hop_length=0), "hop_length"),
        (lambda: STFT(16000, top_db=0), "top_db"),
    ],
)
def test_bad_settings_raise(make: Callable[[], object], message: str) -> None:
    with pytest.raises(BenchmarkError, match=message):
        make()


def test_non_overlapping_frames_have_no_inverse() -> None:
    audio = torch.zeros(1, 4000)
    for rep in (STFT(16000, hop_length=512), Mel(16000, win_length=256, hop_length=300)):
        with pytest.raises(BenchmarkError, match="hop_length"):
            rep.inverse(rep(audio), audio)


def test_unbatched_input_is_rejected() -> None:
    with pytest.raises(BenchmarkError, match=r"\(B, T\)"):
        STFT(16000)(torch.zeros(4000))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_cuda() -> None:
    """Buffers follow the module: CUDA output within 1e-4 of CPU, inverses on the device."""
    audio = batch(noisy_tone(16000, 0.25))
    for rep in all_representations(16000):
        on_device = rep.to("cuda")(audio.cuda())
        torch.testing.assert_close(on_device.cpu(), rep.to("cpu")(audio), rtol=0, atol=1e-4)
    for rep in (STFT(16000).cuda(), Mel(16000, n_iter=4).cuda()):
        gpu_audio = audio.cuda()
        assert rep.inverse(rep(gpu_audio), gpu_audio).device.type == "cuda"


def test_a_hop_as_long_as_the_window_has_no_inverse():
    """Esmaeilpour's n_fft 512 at hop 512: a Hann window is zero at the frame edges, so overlap-add
    cannot rebuild those samples; the representation says so (the runner then reports no SNR)."""
    for cls in (STFT, Mel):
        assert not cls(8000, n_fft=512, hop_length=512).invertible
        assert cls(8000, n_fft=1024, hop_length=512).invertible
    with pytest.raises(BenchmarkError, match="has no inverse"):
        STFT(8000, n_fft=512, hop_length=512).inverse(torch.zeros(1, 1, 257, 5), torch.zeros(1, 2048))
