"""Lazy registrations of every built-in component: importing this imports no heavy backend.

Each entry points at ``module:attr``; the module registers the same object by decorator
when it is imported, so the two never disagree.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

from benchmark.paths import project_root
from benchmark.registry import ATTACKS, DATASETS, MODELS, REPRESENTATIONS, SUITES

for _name, _target in {
    "synth10": "benchmark.data.synth10:Synth10",
}.items():
    DATASETS.register_lazy(_name, _target)

for _name, _target in {
    "waveform": "benchmark.representations.waveform:Waveform",
    "stft": "benchmark.representations.spectral:STFT",
    "mel": "benchmark.representations.spectral:Mel",
    "mfcc": "benchmark.representations.spectral:MFCC",
    "dwt": "benchmark.representations.wavelet:DWT",
    "stft_resized": "benchmark.representations.resize:STFTResized",
    "mel_resized": "benchmark.representations.resize:MelResized",
    "mfcc_resized": "benchmark.representations.resize:MFCCResized",
    "dwt_resized": "benchmark.representations.resize:DWTResized",
}.items():
    REPRESENTATIONS.register_lazy(_name, _target)

for _name, _target in {
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
}.items():
    MODELS.register_lazy(_name, _target)

for _attack, _class in {"fgsm": "FGSM", "bim_a": "BIMa", "bim_b": "BIMb"}.items():
    ATTACKS.register_lazy(f"{_attack}/native", f"benchmark.attacks.native:Native{_class}")
    ATTACKS.register_lazy(f"{_attack}/art", f"benchmark.attacks.art_backend:Art{_class}")
    ATTACKS.register_lazy(f"{_attack}/foolbox", f"benchmark.attacks.foolbox_backend:Foolbox{_class}")

for _attack, _class in {"fgsm_l2": "FGSML2", "pgd": "PGD", "pgd_l2": "PGDL2"}.items():
    for _backend, _prefix in {"native": "Native", "art": "Art", "foolbox": "Foolbox"}.items():
        ATTACKS.register_lazy(f"{_attack}/{_backend}", f"benchmark.attacks.projected:{_prefix}{_class}")

for _name, _target in {
    "deepfool/art": "benchmark.attacks.minimal:ArtDeepFool",
    "deepfool/foolbox": "benchmark.attacks.minimal:FoolboxDeepFool",
    "deepfool_linf/foolbox": "benchmark.attacks.minimal:FoolboxDeepFoolLinf",
    "cw_l2/art": "benchmark.attacks.minimal:ArtCarliniWagnerL2",
    "cw_l2/foolbox": "benchmark.attacks.minimal:FoolboxCarliniWagnerL2",
}.items():
    ATTACKS.register_lazy(_name, _target)

for _name, _target in {
    "jsma/art": "benchmark.attacks.art_suite:ArtJSMA",
    "apgd/art": "benchmark.attacks.art_suite:ArtAPGD",
    "autoattack/art": "benchmark.attacks.art_suite:ArtAutoAttack",
    "square/art": "benchmark.attacks.art_suite:ArtSquare",
    "lbfgs/native": "benchmark.attacks.lbfgs:NativeLBFGS",
}.items():
    ATTACKS.register_lazy(_name, _target)


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
