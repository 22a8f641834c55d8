"""`arb sweep`: one architecture trained and attacked over a grid of one representation setting.

Esmaeilpour et al. 2021 (sec. 4.3, Tables 2-4 and 7, Figs. 1-5) train ResNet-18 once per value of
one spectrogram setting (sampling rate, n_mfcc, DCT normalization, liftering, n_fft, window length,
wavelet, DWT frame length) and report, per value, the recognition accuracy and, per attack, the
AUC of the fooling rate and the number of gradient computations. A sweep does the same on the
embedded dataset with the harness's own parts, nothing re-implemented:

1. an in-memory :class:`~benchmark.plan.suite.Suite` with one model entry per setting value
   (a ``sample_rate`` sweep changes the *dataset's* rate, so it gets one suite per value);
2. each entry trained with :func:`~benchmark.training.train_entries` into ``<output>/checkpoints``
   (a checkpoint already there that loads for the same spec and data is reused, so an interrupted
   sweep resumes);
3. the suite run by :func:`~benchmark.harness.run.run_suite` with that folder as its baselines,
   writing validated leaderboard files under ``<output>/results`` (cells cached by key);
4. the table: ``sweep.json`` (validated by :class:`SweepResult`), ``sweep.md`` and ``sweep.png``,
   all written atomically.

Every setting value is checked (representation built, model sized, attack budgets checked against
the representation's bounds) before the first model trains, so a bad grid fails in one line with
nothing written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import torch
from pydantic import ValidationError

import benchmark
from benchmark.cells.cache import CellCache
from benchmark.data.protocol import PreparedData, prepare_data
from benchmark.errors import BenchmarkError
from benchmark.harness.run import Execution, run_suite
from benchmark.jsonio import atomic_write_bytes, atomic_write_json
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.models.reference import build_reference
from benchmark.models.spec import ModelSpec
from benchmark.plan.planner import check_attack
from benchmark.plan.suite import AttackSpec, Suite
from benchmark.plan.sweep import (
    SAMPLE_RATE,
    SweepAttack,
    SweepConfig,
    SweepResult,
    SweepRow,
    Value,
    value_label,
)
from benchmark.progress import progress_bar
from benchmark.publish.sweep import markdown_table, sweep_png
from benchmark.registry import ATTACKS, REPRESENTATIONS
from benchmark.representations.base import build_representation, representation_settings
from benchmark.runtime import git_state, resolve_device
from benchmark.training import train_entries
from benchmark.validation import first_error


class Sweep:
    """Plan, check, train, attack and tabulate one sweep (see the module docstring)."""

    def __init__(
        self,
        config: SweepConfig,
        *,
        output: Path,
        device: str,
        cache: CellCache,
        execution: Execution | None = None,
    ) -> None:
        self.config = config
        self.output = output
        self.device = device
        self.cache = cache
        self.execution = execution or Execution()
        self.checkpoints = output / "checkpoints"
        self.results = output / "results"

    # -- planning ------------------------------------------------------------------------------
    def suites(self) -> list[tuple[list[Value], Suite]]:
        """The in-memory suites and the values each covers, checked as suite files are."""
        cfg = self.config
        cls = REPRESENTATIONS.get(cfg.representation)
        valid = [*representation_settings(cls), SAMPLE_RATE]
        for name in (cfg.setting, *cfg.params):
            if name not in valid:
                raise BenchmarkError(
                    f"representation {cfg.representation!r} has no setting {name!r}; "
                    f"its settings are {', '.join(valid)}"
                )
        if cfg.setting in cfg.params:
            raise BenchmarkError(f"setting {cfg.setting!r} is swept; do not also fix it with --param")
        if SAMPLE_RATE in cfg.params:
            raise BenchmarkError("sample_rate is the dataset's rate; sweep it with --setting sample_rate=...")
        labels = [value_label(v) for v in cfg.values]
        if len(set(labels)) != len(labels):
            raise BenchmarkError(f"setting {cfg.setting!r} repeats a value: {', '.join(labels)}")
        for name in cfg.attacks:
            if name.count("/") != 1:
                raise BenchmarkError(f"attack {name!r} must be NAME/BACKEND, e.g. fgsm/native")
            ATTACKS.get(name)
        if cfg.setting == SAMPLE_RATE:
            for value in cfg.values:
                if not isinstance(value, int):
                    raise BenchmarkError(f"sample_rate value {value!r} must be a whole number of Hz")
                build_representation(cfg.representation, value, cfg.params)  # before making data at it
            groups = [[value] for value in cfg.values]
        else:
            groups = [list(cfg.values)]
        return [(group, self._suite(group)) for group in groups]

    def _suite(self, values: list[Value]) -> Suite:
        cfg = self.config
        dataset_params = dict(cfg.dataset_params)
        name = cfg.name
        if cfg.setting == SAMPLE_RATE:
            dataset_params[SAMPLE_RATE] = values[0]  # type: ignore[assignment]
            name = f"{name}-{value_label(values[0])}"
        models = {
            cfg.entry(value): ModelSpec(
                architecture=cfg.architecture,
                config=cfg.config,
                representation=cfg.representation,
                representation_params=(
                    dict(cfg.params) if cfg.setting == SAMPLE_RATE else {**cfg.params, cfg.setting: value}
                ),
                training=cfg.training,
            )
            for value in values
        }
        attacks = [
            AttackSpec(
                attack=attack.split("/")[0],
                backends=[attack.split("/")[1]],
                models=list(models),
                budgets={cfg.representation: list(cfg.budgets)},
            )
            for attack in cfg.attacks
        ]
        try:
            return Suite(
                name=name,
                version=1,
                description=f"{cfg.architecture} on {cfg.representation} over {cfg.setting}",
                dataset=cfg.dataset,
                dataset_params=dataset_params,
                seed=cfg.seed,
                test_fold=cfg.test_fold,
                test_tracks_per_class=cfg.test_tracks_per_class,
                segment_seconds=cfg.segment_seconds,
                overlap=cfg.overlap,
                batch_size=cfg.batch_size,
                models=models,
                attacks=attacks,
            )
        except ValidationError as error:
            raise BenchmarkError(f"sweep {cfg.name}: {first_error(error, 'sweep')}") from None

    def _prepare(self, suite: Suite) -> PreparedData:
        return prepare_data(
            suite.dataset,
            suite.dataset_params,
            segment_seconds=suite.segment_seconds,
            overlap=suite.overlap,
            short_clips=suite.short_clips,
            keep_silence=suite.keep_silence,
        )

    def check(self, plan: list[tuple[list[Value], Suite, PreparedData]]) -> None:
        """Build every model (representation settings, input size) and check every attack's budgets
        against its bounds, before anything trains or is written. (A setting whose STFT cannot be
        inverted is valid: its cells report no SNR.)"""
        with torch.random.fork_rng(devices=[]):
            for _, suite, prepared in plan:
                for entry, spec in suite.models.items():
                    model = build_reference(
                        entry,
                        spec,
                        sample_rate=prepared.sample_rate,
                        segment_samples=prepared.segment_samples,
                        num_classes=prepared.num_classes,
                    )
                    for name in self.config.attacks:
                        attack, backend = name.split("/")
                        check_attack(
                            attack,
                            backend,
                            {},
                            targeted=False,
                            budgets=self.config.budgets,
                            bounds=model.representation.bounds,
                        )

    # -- running ---------------------------------------------------------------------------------
    def _train(self, suite: Suite, prepared: PreparedData) -> None:
        """Train each entry into ``checkpoints/`` unless a checkpoint for the same spec and data loads;
        each value's initial weights are independent of the others'."""
        train_entries(
            suite.models,
            prepared,
            self.checkpoints,
            suite=suite.name,
            test_fold=suite.test_fold,
            seed=suite.seed,
            device=resolve_device(self.device),
            reuse=True,
            independent_init=True,
        )

    def run(self) -> SweepResult:
        """Check, train, attack, tabulate; write ``sweep.json``, ``sweep.md`` and ``sweep.png``."""
        groups = self.suites()
        plan = [(values, suite, self._prepare(suite)) for values, suite in groups]
        self.check(plan)
        entries: dict[str, tuple[Path, LeaderboardEntry]] = {}
        with progress_bar(f"sweep {self.config.setting}", total=len(self.config.values)) as advance:
            for values, suite, prepared in plan:
                self._train(suite, prepared)
                run = run_suite(
                    suite,
                    device=self.device,
                    baselines=self.checkpoints,
                    output_root=self.results,
                    cache=self.cache,
                    execution=self.execution,
                )
                for path, entry in run.entries:
                    entries[entry.entry] = (path, entry)
                advance(len(values), ", ".join(value_label(v) for v in values))
        result = self.tabulate(entries, plan[0][2])
        self.write(result)
        return result

    def tabulate(
        self, entries: dict[str, tuple[Path, LeaderboardEntry]], prepared: PreparedData
    ) -> SweepResult:
        cfg = self.config
        rows = []
        for value in cfg.values:
            path, entry = entries[cfg.entry(value)]
            attacks = {}
            for name in cfg.attacks:
                attack, backend = name.split("/")
                cell = next(c for c in entry.attacks if c.attack == attack and c.backend == backend)
                costs = [p.gradient_evals_per_example for p in cell.per_budget]
                attacks[name] = SweepAttack(
                    fr_auc=cell.fr_auc,
                    gradients_per_example=sum(costs) / len(costs),
                    gradients_to_fr90=cell.gradient_evals_to_fr90,
                )
            rows.append(
                SweepRow(
                    value=value,
                    entry=entry.entry,
                    clean=entry.model.clean,
                    attacks=attacks,
                    results_file=str(path.relative_to(self.output)),
                )
            )
        # a sample-rate sweep generates the data at each rate: only what the rates share identifies it
        varying = (SAMPLE_RATE, "content_sha256") if cfg.setting == SAMPLE_RATE else ()
        identity = {k: v for k, v in prepared.identity.items() if k not in varying}
        return SweepResult(
            harness_version=benchmark.__version__,
            git_commit=git_state()[0],
            created_utc=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            sweep=cfg,
            dataset=identity,
            test_segments=entries[cfg.entry(cfg.values[0])][1].dataset.test_segments,
            rows=rows,
        )

    def write(self, result: SweepResult) -> None:
        document = SweepResult.model_validate(result.model_dump(mode="json")).model_dump(mode="json")
        atomic_write_json(self.output / "sweep.json", document)
        atomic_write_bytes(self.output / "sweep.md", markdown_table(result).encode())
        atomic_write_bytes(self.output / "sweep.png", sweep_png(result))
