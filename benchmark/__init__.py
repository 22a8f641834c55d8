"""audio-robustbench: adversarial robustness benchmark for audio classifiers.

The Python API is importable from here (``from benchmark import evaluate``); its names are
resolved from :mod:`benchmark.api` on first use, so ``import benchmark`` imports no torch.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: the public API: :mod:`benchmark.api`'s functions, loaded on first access
API = (
    "Evaluation",
    "evaluate",
    "list_attacks",
    "list_models",
    "list_suites",
    "load_reference",
    "run",
    "train",
)
__all__ = ["__version__", *API]


def __getattr__(name: str) -> Any:
    if name in API:
        from benchmark import api

        return getattr(api, name)
    raise AttributeError(f"module 'benchmark' has no attribute {name!r}")
