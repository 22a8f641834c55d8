"""A model built in this process (a notebook's ``nn.Module``, a loaded Hugging Face folder) as a
run's model source: the suite's standard protocol, as ``arb submit`` applies it, without a worker.

The model has no checkpoint file, so its provenance is what identifies it: ``config`` says where
it came from (``in-memory``, or ``huggingface:<folder>``) and ``checkpoint_sha256`` is the sha256
of its ``state_dict`` (every tensor's name, dtype, shape and bytes, in key order), which the cell
keys hold too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from benchmark.cells.inputs import ModelParts
from benchmark.data.protocol import DataInfo
from benchmark.plan.suite import AttackSpec
from benchmark.representations.base import Representation, build_representation
from benchmark.submission.loading import architecture


def state_sha256(network: nn.Module) -> str:
    """sha256 over the ``state_dict``: each tensor's name, dtype and shape, then its bytes."""
    digest = hashlib.sha256()
    for name, tensor in network.state_dict().items():
        values = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{values.dtype}|{tuple(values.shape)}\n".encode())
        digest.update(values.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class InMemoryModel:
    """One model, evaluated like a submission: every attack spec with budgets for its input,
    through each of its backends (transfer experiments pair the suite's own models)."""

    name: str
    network: nn.Module
    input: str
    input_params: dict[str, Any] = field(default_factory=dict)
    origin: str = "in-memory"
    #: what identifies the weights when not the state_dict's sha256 (a Hugging Face folder's files)
    checksum: str | None = None

    def representation(self, sample_rate: int) -> Representation:
        return build_representation(self.input, sample_rate, self.input_params).eval()

    def entries(self) -> list[str]:
        return [self.name]

    def check(self, data: DataInfo) -> None:
        self.representation(data.sample_rate)  # bad settings fail before any forward pass

    def load(self, entry: str, data: DataInfo) -> ModelParts:
        checksum = self.checksum or state_sha256(self.network)
        representation = self.representation(data.sample_rate)
        return ModelParts(
            representation,
            self.network.eval(),
            identity={"in_memory": self.origin, "input": representation.config(), "weights_sha256": checksum},
            info={
                "architecture": architecture(self.network),
                "config": self.origin,
                "parameters": sum(p.numel() for p in self.network.parameters()),
                "checkpoint_sha256": checksum,
            },
        )

    def attacked_by(self, spec: AttackSpec) -> list[str]:
        return [self.name] if self.input in spec.budgets else []
