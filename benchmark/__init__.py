"""audio-robustbench: adversarial robustness benchmark for audio classifiers."""

__version__ = "0.1.0"
