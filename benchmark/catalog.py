"""Lazy registrations of every built-in component: importing this imports no heavy backend.

Each entry points at ``module:attr``; the module registers the same object by decorator
when it is imported, so the two never disagree.
"""

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
}.items():
    REPRESENTATIONS.register_lazy(_name, _target)

for _name, _target in {
    "cnn2d": "benchmark.models.koerich:cnn2d",
    "cnn1d_gammatone": "benchmark.models.koerich:cnn1d_gammatone",
}.items():
    MODELS.register_lazy(_name, _target)

for _attack, _class in {"fgsm": "FGSM", "bim_a": "BIMa", "bim_b": "BIMb"}.items():
    ATTACKS.register_lazy(f"{_attack}/native", f"benchmark.attacks.native:Native{_class}")
    ATTACKS.register_lazy(f"{_attack}/art", f"benchmark.attacks.art_backend:Art{_class}")
    ATTACKS.register_lazy(f"{_attack}/foolbox", f"benchmark.attacks.foolbox_backend:Foolbox{_class}")

# Suites are data: every registry/suites/<name>.toml is the suite <name>.
for _path in sorted((project_root() / "registry" / "suites").glob("*.toml")):
    SUITES.register(_path.stem)(_path)
