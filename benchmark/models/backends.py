"""Back-ends of Pons & Serra 2019 (seed 002, sec. 3.2) as differentiable torch modules.

Both classify the front-end's feature vector after standardisation (the scaler's mean and scale are
part of the module, so an attack differentiates through them too):

* ``SVMHead``: scikit-learn's ``SVC`` (linear or RBF kernel), one-vs-one as libsvm trains it. The
  pairwise decision values are a kernel expansion over the support vectors, ``K(z, SV) @ A + b``;
  the logits are scikit-learn's ``decision_function_shape="ovr"`` aggregation of them (votes plus
  ``conf / (3 (|conf| + 1))``), so ``argmax`` equals ``SVC(break_ties=True).predict``. The votes are
  piecewise constant; gradients reach the input through the confidence term and the kernel.
* ``ELMHead``: ``relu(z W1 + b1) W2`` (sec. 1: "W_2 = sigma(W_1 X)^+ Y").

Arithmetic is float64 inside (kernel expansions cancel), logits are returned as float32. Fitted
arrays are buffers sized by the fit; loading a checkpoint resizes them (``_load_from_state_dict``),
so a back-end is stored as plain safetensors arrays, never as a pickled estimator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmark.errors import BenchmarkError

#: the buffers each back-end stores, in the order a card lists them
SVM_ARRAYS = ("mean", "inv_scale", "support", "pair_coef", "intercept", "gamma")
ELM_ARRAYS = ("mean", "inv_scale", "hidden_weight", "hidden_bias", "output_weight")


def class_pairs(num_classes: int) -> list[tuple[int, int]]:
    """libsvm's one-vs-one order: (0, 1), (0, 2), ..., (1, 2), ..."""
    return [(i, j) for i in range(num_classes) for j in range(i + 1, num_classes)]


class FittedHead(nn.Module):
    """Float64 buffers whose sizes depend on the fit; ``assign`` fills them, loading resizes them."""

    arrays: tuple[str, ...] = ()

    def __init__(self, in_features: int, num_classes: int) -> None:
        super().__init__()
        if num_classes < 3:
            raise BenchmarkError(f"pons back-ends need at least 3 classes, got {num_classes}")
        self.in_features, self.num_classes = in_features, num_classes
        for name in self.arrays:
            self.register_buffer(name, torch.zeros(0, dtype=torch.float64))

    def assign(self, arrays: dict[str, np.ndarray]) -> None:
        for name in self.arrays:
            setattr(self, name, torch.as_tensor(np.asarray(arrays[name], dtype=np.float64)))
        self.validate()

    def validate(self) -> None:
        """Raise ``RuntimeError`` (what ``load_state_dict`` raises) if the arrays do not fit."""
        mean = self.mean
        if mean.shape != (self.in_features,):
            raise RuntimeError(
                f"back-end expects {self.in_features} features, its arrays have {tuple(mean.shape)}"
            )

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        for name in self.arrays:
            incoming = state_dict.get(prefix + name)
            if incoming is not None:
                setattr(self, name, torch.empty_like(incoming, dtype=torch.float64))
        super()._load_from_state_dict(state_dict, prefix, *args)
        if all(prefix + name in state_dict for name in self.arrays):
            self.validate()

    def standardize(self, x: Tensor) -> Tensor:
        return (x.to(torch.float64) - self.mean) * self.inv_scale


class SVMHead(FittedHead):
    """Kernel SVM decision function (``gamma == 0`` marks the linear kernel)."""

    arrays = SVM_ARRAYS

    def __init__(self, in_features: int, num_classes: int) -> None:
        super().__init__(in_features, num_classes)
        pairs = class_pairs(num_classes)
        first = torch.zeros(len(pairs), num_classes, dtype=torch.float64)
        second = torch.zeros_like(first)
        for p, (i, j) in enumerate(pairs):
            first[p, i], second[p, j] = 1.0, 1.0
        self.register_buffer("pair_first", first, False)
        self.register_buffer("pair_second", second, False)

    def validate(self) -> None:
        super().validate()
        pairs = self.pair_first.shape[0]
        if self.pair_coef.shape != (self.support.shape[0], pairs) or self.intercept.shape != (pairs,):
            raise RuntimeError(
                f"SVM arrays do not describe {pairs} one-vs-one pairs over its support vectors"
            )

    def pair_decisions(self, x: Tensor) -> Tensor:
        """libsvm's one-vs-one decision values ``(B, pairs)``: positive favours the pair's first class."""
        z = self.standardize(x)
        gamma = float(self.gamma)
        if gamma > 0:
            squared = (z * z).sum(1, keepdim=True) - 2 * z @ self.support.T + (self.support**2).sum(1)
            kernel = torch.exp(-gamma * squared.clamp_min(0))
        else:
            kernel = z @ self.support.T
        return kernel @ self.pair_coef + self.intercept

    def forward(self, x: Tensor) -> Tensor:
        decisions = self.pair_decisions(x)
        votes = (decisions >= 0).double() @ self.pair_first + (decisions < 0).double() @ self.pair_second
        confidence = decisions @ (self.pair_first - self.pair_second)
        return (votes + confidence / (3 * (confidence.abs() + 1))).float()


class ELMHead(FittedHead):
    """Extreme learning machine: random ReLU hidden layer, least-squares output weights."""

    arrays = ELM_ARRAYS

    def validate(self) -> None:
        super().validate()
        hidden = self.hidden_bias.shape[0]
        if self.hidden_weight.shape != (self.in_features, hidden) or self.output_weight.shape != (
            hidden,
            self.num_classes,
        ):
            raise RuntimeError(
                f"ELM arrays do not describe {self.in_features} -> {hidden} -> {self.num_classes}"
            )

    def forward(self, x: Tensor) -> Tensor:
        hidden = F.relu(self.standardize(x) @ self.hidden_weight + self.hidden_bias)
        return (hidden @ self.output_weight).float()


HEADS: dict[str, type[FittedHead]] = {"svm": SVMHead, "elm": ELMHead}


def build_head(backend: str, in_features: int, num_classes: int) -> FittedHead:
    if backend not in HEADS:
        raise BenchmarkError(f"unknown pons back-end {backend!r}; choose one of {', '.join(HEADS)}")
    return HEADS[backend](in_features, num_classes)
