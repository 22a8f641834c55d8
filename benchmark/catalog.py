"""Lazy registrations of every built-in component: importing this imports no heavy backend.

Each entry points at ``module:attr``; the module registers the same object by decorator
when it is imported, so the two never disagree.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.paths import project_root
from benchmark.registry import ATTACKS, DATASETS, MODELS, REPRESENTATIONS, SUITES, Registry


def _register(registry: Registry[Any], table: dict[str, str]) -> None:
    """Register each ``name: "module:attr"`` of ``table`` lazily."""
    for name, target in table.items():
        registry.register_lazy(name, target)


#: class-name prefix of each backend's implementation of an attack
_BACKEND_PREFIX = {"native": "Native", "art": "Art", "foolbox": "Foolbox"}


def _register_grid(classes: dict[str, str], modules: dict[str, str]) -> None:
    """Every attack of ``classes`` through every backend of ``modules``: ``<attack>/<backend>``
    is ``<module>:<Prefix><Class>``."""
    for attack, name in classes.items():
        for backend, module in modules.items():
            ATTACKS.register_lazy(f"{attack}/{backend}", f"{module}:{_BACKEND_PREFIX[backend]}{name}")


_register(
    DATASETS,
    {
        "synth10": "benchmark.data.synth10:Synth10",
        "esc50": "benchmark.data.esc50:ESC50",
        "esc10": "benchmark.data.esc50:ESC10",
        "urbansound8k": "benchmark.data.urbansound8k:UrbanSound8K",
        "gtzan": "benchmark.data.gtzan:GTZAN",
        "folder": "benchmark.data.folder:FolderDataset",
    },
)

_register(
    REPRESENTATIONS,
    {
        "waveform": "benchmark.representations.waveform:Waveform",
        "stft": "benchmark.representations.spectral:STFT",
        "mel": "benchmark.representations.spectral:Mel",
        "mfcc": "benchmark.representations.spectral:MFCC",
        "dwt": "benchmark.representations.wavelet:DWT",
        "stft_resized": "benchmark.representations.resize:STFTResized",
        "mel_resized": "benchmark.representations.resize:MelResized",
        "mfcc_resized": "benchmark.representations.resize:MFCCResized",
        "dwt_resized": "benchmark.representations.resize:DWTResized",
    },
)

_register(
    MODELS,
    {
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
    },
)

# Pons & Serra 2019: random CNN front-ends and the MFCC baseline with SVM / ELM back-ends
MODELS.register_lazy("pons_sample_level", "benchmark.models.pons:pons_sample_level")
MODELS.register_lazy("pons_frame_level", "benchmark.models.pons:pons_frame_level")
MODELS.register_lazy("pons_frame_level_many_shapes", "benchmark.models.pons:pons_frame_level_many_shapes")
MODELS.register_lazy("pons_7x96", "benchmark.models.pons:pons_7x96")
MODELS.register_lazy("pons_7x86", "benchmark.models.pons:pons_7x86")
MODELS.register_lazy("pons_timbral", "benchmark.models.pons:pons_timbral")
MODELS.register_lazy("pons_temporal", "benchmark.models.pons:pons_temporal")
MODELS.register_lazy("pons_timbral_temporal", "benchmark.models.pons:pons_timbral_temporal")
MODELS.register_lazy("pons_vgg", "benchmark.models.pons:pons_vgg")
MODELS.register_lazy("pons_mfcc", "benchmark.models.pons:pons_mfcc")

_register_grid(
    {"fgsm": "FGSM", "bim_a": "BIMa", "bim_b": "BIMb"},
    {
        "native": "benchmark.attacks.native",
        "art": "benchmark.attacks.art_backend",
        "foolbox": "benchmark.attacks.foolbox_backend",
    },
)
_register_grid(
    {"fgsm_l2": "FGSML2", "pgd": "PGD", "pgd_l2": "PGDL2"},
    dict.fromkeys(("native", "art", "foolbox"), "benchmark.attacks.projected"),
)

_register(
    ATTACKS,
    {
        "deepfool/art": "benchmark.attacks.minimal:ArtDeepFool",
        "deepfool/foolbox": "benchmark.attacks.minimal:FoolboxDeepFool",
        "deepfool_linf/foolbox": "benchmark.attacks.minimal:FoolboxDeepFoolLinf",
        "cw_l2/art": "benchmark.attacks.minimal:ArtCarliniWagnerL2",
        "cw_l2/foolbox": "benchmark.attacks.minimal:FoolboxCarliniWagnerL2",
    },
)

_register(
    ATTACKS,
    {
        "jsma/art": "benchmark.attacks.art_suite:ArtJSMA",
        "apgd/art": "benchmark.attacks.art_suite:ArtAPGD",
        "autoattack/art": "benchmark.attacks.art_suite:ArtAutoAttack",
        "square/art": "benchmark.attacks.art_suite:ArtSquare",
        "lbfgs/native": "benchmark.attacks.lbfgs:NativeLBFGS",
    },
)


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


for _path in sorted((project_root() / "registry" / "suites").glob("*.toml")):
    SUITES.register(_path.stem)(SuiteFile(_path))
