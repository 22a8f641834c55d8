"""Host round trips of the native attacks: none inside the step loop.

On an accelerator, every read of a tensor's value on the host (``.item()``, ``.cpu()``, ``bool()``,
``nonzero``, boolean-mask indexing) or transfer between devices makes the host wait for the queue.
A :class:`~torch.overrides.TorchFunctionMode` counts those calls while a native attack runs on the
CPU; the count must not grow with the number of steps. BIM-a's accelerator path (whole batch, a mask
for finished examples) is forced on the CPU here, and must agree with its CPU path (gathering).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
import torch
from attack_models import BOUNDS, trained_problem
from torch import Tensor
from torch.overrides import TorchFunctionMode

from benchmark.attacks.base import AttackResult
from benchmark.attacks.gradient import BIM
from benchmark.registry import ATTACKS

pytestmark = pytest.mark.usefixtures("one_thread")

BATCH = 32
BUDGETS = (0.02, 0.05, 0.08)
#: reads that wait for the device: their value is needed on the host
READS = {
    Tensor.item, Tensor.tolist, Tensor.numpy, Tensor.cpu,
    Tensor.__bool__, Tensor.__int__, Tensor.__float__, Tensor.__index__,
    Tensor.nonzero, torch.nonzero, Tensor.masked_select, torch.masked_select,
}  # fmt: skip


class HostReads(TorchFunctionMode):
    """Counts, by name, the calls that read a tensor back to the host or move it between devices."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in READS or self._transfer(func, args, kwargs) or self._mask_index(func, args):
            self.calls[func.__name__] += 1
        return func(*args, **kwargs)

    @staticmethod
    def _transfer(func: Callable, args: tuple, kwargs: dict) -> bool:
        if func is Tensor.to:
            device = torch._C._nn._parse_to(*args[1:], **kwargs)[0]
            return device is not None and device != args[0].device
        return func is Tensor.copy_ and args[0].device != args[1].device

    @staticmethod
    def _mask_index(func: Callable, args: tuple) -> bool:
        """``x[mask]``: its size is the number of set elements, known only on the host."""
        return (
            func in (Tensor.__getitem__, Tensor.__setitem__)
            and isinstance(args[1], Tensor)
            and args[1].dtype == torch.bool
        )


@pytest.fixture(scope="module")
def problem() -> tuple[torch.nn.Module, Tensor, Tensor, Tensor]:
    return trained_problem(BATCH)


def attack(problem, name: str, steps: int, *, targeted: bool = False, scale: Tensor | None = None):
    """``name``/native over :data:`BUDGETS` with ``steps`` steps, and the host reads it made."""
    model, inputs, labels, targets = problem
    instance = ATTACKS.get(f"{name}/native")(steps=steps, targeted=targeted)
    with HostReads() as reads:
        result = instance(
            model,
            inputs,
            labels,
            budgets=BUDGETS,
            bounds=BOUNDS,
            targets=targets if targeted else None,
            scale=scale,
        )
    return result, reads.calls


@pytest.fixture
def masked(monkeypatch: pytest.MonkeyPatch) -> None:
    """BIM-a's accelerator path, on the CPU."""
    monkeypatch.setattr(BIM, "_masks", lambda self, device: True)


# BIM-a reads its two masked counts (forwards, gradients) once per budget; the others read nothing.
@pytest.mark.parametrize(
    ("name", "expected"),
    [("bim_a", Counter(__int__=2 * len(BUDGETS))), ("bim_b", Counter()), ("pgd", Counter())],
)
@pytest.mark.usefixtures("masked")
def test_no_host_read_in_the_step_loop(problem, name: str, expected: Counter[str]) -> None:
    (short, few), (long, many) = attack(problem, name, steps=2), attack(problem, name, steps=6)
    assert few == many == expected
    # the longer run did step more: the loop ran, and its reads would have shown
    assert [o.gradient_batches for o in long.outputs] == [6] * len(BUDGETS)
    assert [o.gradient_batches for o in short.outputs] == [2] * len(BUDGETS)


def test_the_count_sees_the_cpu_path_gathering(problem) -> None:
    """The counter is not blind: BIM-a's CPU path reads how many examples are left every step."""
    result, reads = attack(problem, "bim_a", steps=6)
    assert reads["nonzero"] == sum(o.gradient_batches for o in result.outputs) + sum(
        o.gradient_batches < 6 for o in result.outputs
    )


def _same(masked: AttackResult, gathered: AttackResult) -> None:
    for a, b in zip(masked.outputs, gathered.outputs, strict=True):
        assert torch.equal(a.success, b.success)
        assert (a.gradient_evals, a.forward_evals) == (b.gradient_evals, b.forward_evals)
        assert torch.equal(a.adversarial, b.adversarial)


@pytest.mark.parametrize("targeted", [False, True])
def test_bim_a_masked_agrees_with_gathered(problem, monkeypatch: pytest.MonkeyPatch, targeted: bool) -> None:
    """Same adversarials, successes and counted cost whichever path BIM-a takes (here with
    per-example radii too, the SNR case)."""
    scale = torch.linspace(0.5, 1.5, BATCH)
    gathered, _ = attack(problem, "bim_a", steps=6, targeted=targeted, scale=scale)
    monkeypatch.setattr(BIM, "_masks", lambda self, device: True)
    masked, _ = attack(problem, "bim_a", steps=6, targeted=targeted, scale=scale)
    _same(masked, gathered)
    fooled = [int(o.success.sum()) for o in gathered.outputs]
    assert fooled[-1] > 0 and fooled != [BATCH] * len(BUDGETS)  # some stop early, so masks matter
    assert any(o.gradient_evals < 6 * BATCH for o in gathered.outputs)
