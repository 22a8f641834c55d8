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

from benchmark.representations.mel import Mel
from benchmark.representations.mfcc import MFCC
from benchmark.representations.stft import DEFAULT_TOP_DB, STFT

__all__ = ["DEFAULT_TOP_DB", "MFCC", "STFT", "Mel"]
