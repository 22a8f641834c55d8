"""``evaluate(model, suite)``: a model from a notebook, a submission folder or a Hugging Face folder,
through the same plan -> cells -> publish path as ``arb run`` / ``arb submit``, returned as its
typed leaderboard entry (RobustBench's ``benchmark(model, ...)``, lm-eval's ``simple_evaluate``).

Example::

    from benchmark import evaluate
    result = evaluate(my_module, suite="quick", input="stft", input_params={"n_fft": 512, "hop_length": 256})
    print(result.robust_accuracy, result.interval, [flag.code for flag in result.flags])
    print(result.summary())
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from torch import nn

from benchmark.cells.cache import CellCache
from benchmark.errors import BenchmarkError
from benchmark.harness.memory import InMemoryModel
from benchmark.harness.run import Execution, run_suite
from benchmark.jsonio import json_bytes
from benchmark.leaderboard.io import entry_path
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.models.hf_folder import CONFIG, read_pretrained
from benchmark.models.reference import ReferenceModel
from benchmark.paths import safe_name
from benchmark.plan.cost import DEFAULT_MAX_GRADIENTS
from benchmark.plan.suite import Suite, load_suite
from benchmark.publish.summary import markdown, plot_fooling_curves
from benchmark.registry import DATASETS, REPRESENTATIONS
from benchmark.runtime import make_deterministic, resolve_device
from benchmark.submission.loading import check_network
from benchmark.submission.manifest import MANIFEST

#: ``arb submit``'s default limits for a submission folder's worker: 3600 s, 8 GiB
SUBMIT_SECONDS, SUBMIT_MEMORY = 3600.0, 8 << 30


class Evaluation(LeaderboardEntry):
    """The leaderboard entry :func:`evaluate` returns: every field of the results file, plus the
    primary score's value and interval and the Markdown summary ``arb run`` writes."""

    @property
    def robust_accuracy(self) -> float | None:
        """The primary score: per-example worst-case robust accuracy of segments (None: no attack)."""
        return self.score.robust_accuracy.segment if self.score else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The score's 95 % track-bootstrap interval (low, high)."""
        if self.score is None or self.score.interval is None:
            return None
        return self.score.interval.segment.low, self.score.interval.segment.high

    def to_json(self) -> str:
        """The entry exactly as ``arb run`` writes its results file."""
        return json_bytes(self.model_dump(mode="json")).decode()

    def summary(self) -> str:
        """``summary.md`` of this entry: robustness, attack and transfer tables in Markdown."""
        return markdown([self])


def _check_input(suite: Suite, kind: str | None) -> str:
    """The model's input must be a registered representation the suite has attack budgets for."""
    attacked = suite.attacked_inputs()
    choices = f"suite {suite.name!r} attacks {', '.join(attacked)}"
    if kind is None:
        raise BenchmarkError(f"evaluate() needs input=, the representation the model takes; {choices}")
    if kind not in REPRESENTATIONS:
        raise BenchmarkError(
            f"unknown input {kind!r}; pass input= one of the registered representations "
            f"({', '.join(REPRESENTATIONS.names())}): {choices}"
        )
    if kind not in attacked:
        raise BenchmarkError(
            f"suite {suite.name!r} has no attack budgets for input {kind!r}; it attacks "
            f"{', '.join(attacked)}: give the model one of those inputs, or a suite that attacks {kind!r}"
        )
    return kind


def _in_memory(
    model: nn.Module | ReferenceModel | Path, suite: Suite, name: str | None, kind: str | None, params: dict
) -> InMemoryModel:
    """The model source for an ``nn.Module``, a reference model or a Hugging Face folder."""
    if isinstance(model, ReferenceModel):
        spec = model.spec
        kind, params = kind or spec.representation, params or dict(spec.representation_params)
        return InMemoryModel(
            safe_name(name or model.entry, "name"), model.network, _check_input(suite, kind), params
        )
    if isinstance(model, Path):
        from benchmark.models.huggingface import load_huggingface

        dataset = DATASETS.get(suite.dataset)(**suite.dataset_params)
        network = load_huggingface(
            model, classes=dataset.classes, dataset=suite.dataset, sample_rate=dataset.sample_rate
        )
        return InMemoryModel(
            safe_name(name or model.resolve().name, "name"),
            network,
            _check_input(suite, kind or "waveform"),
            params,
            origin=f"huggingface:{model.resolve().name}",
            checksum=read_pretrained(model.resolve()).sha256(),
        )
    if not isinstance(model, nn.Module):
        raise BenchmarkError(
            f"evaluate() takes a torch.nn.Module, a reference model or a folder path, not "
            f"{type(model).__name__}; pass the module itself"
        )
    return InMemoryModel(safe_name(name or "model", "name"), model, _check_input(suite, kind), params)


def _submission(
    folder: Path, suite: str | Suite, output: Path | None, force: bool, device: str
) -> Evaluation:
    """A submission folder: ``arb submit`` itself (its code runs only in the worker process)."""
    from benchmark.submission.commands import submit
    from benchmark.submission.sandbox import Limits

    if not isinstance(suite, str):
        raise BenchmarkError(
            f"a submission folder is evaluated on a suite's name or TOML path; pass suite={suite.name!r}"
        )
    limits = Limits(seconds=SUBMIT_SECONDS, memory_bytes=SUBMIT_MEMORY)
    with tempfile.TemporaryDirectory(prefix="arb-evaluate-") as scratch:
        _path, entry = submit(
            folder, suite, output=output or Path(scratch), force=force, limits=limits, device=device
        )
    return Evaluation.model_validate(entry.model_dump())


def evaluate(
    model: nn.Module | ReferenceModel | str | Path,
    suite: str | Suite = "quick",
    *,
    input: str | None = None,
    input_params: dict[str, Any] | None = None,
    name: str | None = None,
    device: str = "auto",
    output: Path | None = None,
    force: bool = False,
    data_root: Path | None = None,
    max_gradients: int | None = DEFAULT_MAX_GRADIENTS,
) -> Evaluation:
    """Evaluate one model with the suite's standard protocol (as ``arb submit``: every attack with
    budgets for its ``input``, through each backend) and return its leaderboard entry.

    ``model`` is a ``torch.nn.Module`` taking ``input`` (a representation name, with
    ``input_params``) and returning logits, one per class of the suite's dataset; a reference model
    (:func:`benchmark.api.load_reference`); or a folder: a submission (``submission.toml``: run
    in the worker, as ``arb submit``) or a Hugging Face ``save_pretrained`` folder (attacked on the
    waveform). The module is moved to ``device`` and set to eval mode. Nothing is written unless
    ``output`` (a leaderboard root) is given: then the entry and its FR plot, never over an
    existing entry without ``force``. Every check runs before any attack.
    """
    chosen = load_suite(suite) if isinstance(suite, str) else suite
    if isinstance(model, str | Path):
        folder = Path(model)
        if (folder / MANIFEST).is_file():
            if input is not None or input_params:
                raise BenchmarkError(f"{folder / MANIFEST} declares the model's input; leave input= out")
            return _submission(folder, suite, output, force, device)
        if not (folder / CONFIG).is_file():
            raise BenchmarkError(
                f"{folder} holds neither {MANIFEST} (a submission) nor {CONFIG} (a Hugging Face "
                f"save_pretrained folder); pass one of those folders, or the nn.Module itself"
            )
        model = folder
    source = _in_memory(model, chosen, name, input, dict(input_params or {}))
    dataset = DATASETS.get(chosen.dataset)(**chosen.dataset_params)
    target = entry_path(output or Path("."), chosen.name, chosen.version, chosen.dataset, source.name)
    if output is not None and target.exists() and not force:
        raise BenchmarkError(f"{target} already exists; pass force=True to replace it")
    make_deterministic()
    check_network(  # in eval mode: a forward pass in training mode would move batch-norm statistics
        source.representation(dataset.sample_rate),
        source.network.eval(),
        samples=round(chosen.segment_seconds * dataset.sample_rate),
        dataset=chosen.dataset,
        device=resolve_device(device),
        fix=f"fix the model, or input= / input_params= (it was given {source.input!r})",
    )
    result = run_suite(
        chosen,
        device=device,
        output_root=output or Path("."),
        cache=CellCache(Path("cache"), enabled=False),
        data_root=data_root,
        source=source,
        attacked_by=source.attacked_by,
        execution=Execution(max_gradients=max_gradients),
        write=output is not None,
    )
    ((path, entry),) = result.entries
    if output is not None:
        plot_fooling_curves(entry, path.with_name(f"{entry.entry}_fooling_rate.png"))
    return Evaluation.model_validate(entry.model_dump())
