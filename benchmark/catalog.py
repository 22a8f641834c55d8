"""Every built-in component's name, declared once: ``name -> "module:attr"``, plain data.

This is the only place a component is registered. Names are written out in full (no names
built from parts), so ``grep '"pgd/art"'`` finds the one line that declares it. The module
imports no component and nothing of :mod:`benchmark.registry`: the registry reads these
tables on its first lookup or listing, and only then is a component's module imported (and
with it a heavy backend such as ART or Foolbox).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from benchmark.paths import project_root

DATASET_CLASSES: dict[str, str] = {
    "synth10": "benchmark.data.synth10:Synth10",
    "esc50": "benchmark.data.esc50:ESC50",
    "esc10": "benchmark.data.esc50:ESC10",
    "urbansound8k": "benchmark.data.urbansound8k:UrbanSound8K",
    "gtzan": "benchmark.data.gtzan:GTZAN",
    "folder": "benchmark.data.folder:FolderDataset",
}

REPRESENTATION_CLASSES: dict[str, str] = {
    "waveform": "benchmark.representations.waveform:Waveform",
    "stft": "benchmark.representations.spectral:STFT",
    "mel": "benchmark.representations.spectral:Mel",
    "mfcc": "benchmark.representations.spectral:MFCC",
    "dwt": "benchmark.representations.wavelet:DWT",
    "stft_resized": "benchmark.representations.resize:STFTResized",
    "mel_resized": "benchmark.representations.resize:MelResized",
    "mfcc_resized": "benchmark.representations.resize:MFCCResized",
    "dwt_resized": "benchmark.representations.resize:DWTResized",
}

MODEL_FACTORIES: dict[str, str] = {
    "cnn2d": "benchmark.models.koerich:cnn2d",
    "cnn1d_gammatone": "benchmark.models.koerich:cnn1d_gammatone",
    "resnet18": "benchmark.models.esmaeilpour:resnet18",
    "resnet34": "benchmark.models.esmaeilpour:resnet34",
    "resnet56": "benchmark.models.esmaeilpour:resnet56",
    "alexnet": "benchmark.models.esmaeilpour:alexnet",
    "googlenet": "benchmark.models.esmaeilpour:googlenet",
    "sbcnn": "benchmark.models.esmaeilpour:sbcnn",
    "lstm": "benchmark.models.esmaeilpour:lstm",
    "freq_channels_cnn1d": "benchmark.models.wyse:freq_channels_cnn1d",
    # Pons & Serra 2019: random CNN front-ends and the MFCC baseline with SVM / ELM back-ends
    "pons_sample_level": "benchmark.models.pons:pons_sample_level",
    "pons_frame_level": "benchmark.models.pons:pons_frame_level",
    "pons_frame_level_many_shapes": "benchmark.models.pons:pons_frame_level_many_shapes",
    "pons_7x96": "benchmark.models.pons:pons_7x96",
    "pons_7x86": "benchmark.models.pons:pons_7x86",
    "pons_timbral": "benchmark.models.pons:pons_timbral",
    "pons_temporal": "benchmark.models.pons:pons_temporal",
    "pons_timbral_temporal": "benchmark.models.pons:pons_timbral_temporal",
    "pons_vgg": "benchmark.models.pons:pons_vgg",
    "pons_mfcc": "benchmark.models.pons:pons_mfcc",
}

#: ``<attack>/<backend>``: one line per attack and backend that implements it
ATTACK_CLASSES: dict[str, str] = {
    "fgsm/native": "benchmark.attacks.native:NativeFGSM",
    "fgsm/art": "benchmark.attacks.art_backend:ArtFGSM",
    "fgsm/foolbox": "benchmark.attacks.foolbox_backend:FoolboxFGSM",
    "bim_a/native": "benchmark.attacks.native:NativeBIMa",
    "bim_a/art": "benchmark.attacks.art_backend:ArtBIMa",
    "bim_a/foolbox": "benchmark.attacks.foolbox_backend:FoolboxBIMa",
    "bim_b/native": "benchmark.attacks.native:NativeBIMb",
    "bim_b/art": "benchmark.attacks.art_backend:ArtBIMb",
    "bim_b/foolbox": "benchmark.attacks.foolbox_backend:FoolboxBIMb",
    "fgsm_l2/native": "benchmark.attacks.projected:NativeFGSML2",
    "fgsm_l2/art": "benchmark.attacks.projected:ArtFGSML2",
    "fgsm_l2/foolbox": "benchmark.attacks.projected:FoolboxFGSML2",
    "pgd/native": "benchmark.attacks.projected:NativePGD",
    "pgd/art": "benchmark.attacks.projected:ArtPGD",
    "pgd/foolbox": "benchmark.attacks.projected:FoolboxPGD",
    "pgd_l2/native": "benchmark.attacks.projected:NativePGDL2",
    "pgd_l2/art": "benchmark.attacks.projected:ArtPGDL2",
    "pgd_l2/foolbox": "benchmark.attacks.projected:FoolboxPGDL2",
    "deepfool/art": "benchmark.attacks.minimal:ArtDeepFool",
    "deepfool/foolbox": "benchmark.attacks.minimal:FoolboxDeepFool",
    "deepfool_linf/foolbox": "benchmark.attacks.minimal:FoolboxDeepFoolLinf",
    "cw_l2/art": "benchmark.attacks.minimal:ArtCarliniWagnerL2",
    "cw_l2/foolbox": "benchmark.attacks.minimal:FoolboxCarliniWagnerL2",
    "jsma/art": "benchmark.attacks.art_suite:ArtJSMA",
    "apgd/art": "benchmark.attacks.art_suite:ArtAPGD",
    "autoattack/art": "benchmark.attacks.art_suite:ArtAutoAttack",
    "square/art": "benchmark.attacks.art_suite:ArtSquare",
    "square/native": "benchmark.attacks.square:NativeSquare",
    "lbfgs/native": "benchmark.attacks.lbfgs:NativeLBFGS",
}


#: input transformations in front of a model (``[models.X] defense = [...]`` in a suite)
DEFENSE_CLASSES: dict[str, str] = {
    "quantize": "benchmark.defenses.waveform:Quantize",
    "resample": "benchmark.defenses.waveform:Resample",
    "resample_poly": "benchmark.defenses.waveform:PolyphaseResample",
    "lowpass": "benchmark.defenses.waveform:LowPass",
    "median": "benchmark.defenses.waveform:MedianSmooth",
    "noise": "benchmark.defenses.waveform:GaussianNoise",
    "scale": "benchmark.defenses.waveform:RandomScale",
    "mp3": "benchmark.defenses.mp3:MP3",
    "squeeze": "benchmark.defenses.spectral:FeatureSqueeze",
}


@dataclass(frozen=True)
class SuiteFile:
    """A suite declared in ``registry/suites/<name>.toml``: data, not code."""

    path: Path

    def summary(self) -> str:
        """The suite's own ``description`` (what ``arb list suites --describe`` shows)."""
        try:
            return str(tomllib.loads(self.path.read_text()).get("description", ""))
        except (OSError, tomllib.TOMLDecodeError) as error:
            return f"(unreadable: {error})"


def suite_files() -> dict[str, SuiteFile]:
    """Every ``registry/suites/<name>.toml`` by name: a suite is registered by adding its file."""
    folder = project_root() / "registry" / "suites"
    return {path.stem: SuiteFile(path) for path in sorted(folder.glob("*.toml"))}
