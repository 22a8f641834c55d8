"""The Python face of the command line: ``arb train``, ``arb run`` and ``arb list`` are thin layers
over these; :func:`evaluate` (:mod:`benchmark.evaluation`) takes a model from a notebook.

Example::

    from benchmark.api import run
    result = run("quick", device="cpu", jobs=2)
    for path, entry in result.entries:
        print(entry.entry, entry.score)
"""

from __future__ import annotations

import inspect
from pathlib import Path

from benchmark.cells.cache import CellCache
from benchmark.cells.inputs import DEFAULT_RESIDENT_BYTES
from benchmark.data.protocol import PreparedData, prepare_data
from benchmark.errors import BenchmarkError
from benchmark.evaluation import Evaluation as Evaluation  # re-exported: the API in one place
from benchmark.evaluation import evaluate as evaluate
from benchmark.harness.run import Execution, RunResult, run_suite
from benchmark.jsonio import sha256_of
from benchmark.models.reference import ReferenceModel, read_card
from benchmark.models.reference import load_reference as load_checkpoint
from benchmark.models.spec import ModelSpec
from benchmark.paths import cache_dir, installed, project_root
from benchmark.paths import output_root as default_output_root
from benchmark.plan.cost import DEFAULT_MAX_GRADIENTS
from benchmark.plan.suite import Suite, load_suite
from benchmark.publish.outputs import publish_outputs
from benchmark.registry import ATTACKS, DATASETS, MODELS, SUITES
from benchmark.runtime import make_deterministic, resolve_device
from benchmark.training import train_entries


def with_dataset(suite: Suite, dataset: str | None, data_root: Path | None) -> tuple[Suite, Path | None]:
    """Apply ``--dataset NAME[:PATH]`` and ``--data-root DIR``: returns (suite, data root).

    ``dataset`` swaps the suite's dataset (keeping its sample rate, so its models fit); the suite
    object changes, so cell keys and leaderboard entries name the new dataset.
    """
    root = data_root
    if not dataset:
        return suite, root
    name, sep, path = dataset.partition(":")
    if sep:
        if root is not None:
            raise BenchmarkError("give the data folder once: --dataset NAME:PATH or --data-root PATH")
        root = Path(path)
    accepts = inspect.signature(DATASETS.get(name)).parameters
    rate = suite.dataset_params.get("sample_rate")
    if rate is None:
        default = inspect.signature(DATASETS.get(suite.dataset)).parameters.get("sample_rate")
        rate = default.default if default is not None else None
    params = {"sample_rate": rate} if rate is not None and "sample_rate" in accepts else {}
    return suite.model_copy(update={"dataset": name, "dataset_params": params}), root


def default_baselines(suite: Suite, root: Path | None, swapped: bool) -> Path:
    """The committed ``baselines/`` for the suite's own embedded data; for real or swapped data
    (``--data-root``, ``--dataset``) a folder under the cache, one per suite, dataset and data
    location, so ``arb train`` and ``arb run`` with the same flags meet there and nothing trained
    on a user's data lands among the committed checkpoints."""
    if root is None and not swapped:
        return project_root() / "baselines"
    where = sha256_of([suite.dataset, str(root.expanduser().resolve()) if root else None])[:12]
    return cache_dir() / "baselines" / suite.name / f"{suite.dataset}-{where}"


def protect_committed(folder: Path, entries: list[str], force: bool) -> None:
    """Refuse to retrain over the committed checkpoints unless ``force`` (never into an installed
    copy): the committed boards were made with them."""
    committed = project_root() / "baselines"
    if folder.resolve() != committed.resolve():
        return
    if installed():
        raise BenchmarkError(
            f"{folder} holds the installed package's committed checkpoints; "
            "pass --baselines DIR to train elsewhere"
        )
    existing = [entry for entry in entries if (folder / f"{entry}.safetensors").exists()]
    if existing and not force:
        raise BenchmarkError(
            f"{folder / existing[0]}.safetensors is a committed checkpoint ({len(existing)} of the "
            f"{len(entries)} entries have one); pass --force to retrain over them, or --baselines DIR"
        )


def prepare_suite_data(suite: Suite, root: Path | None) -> PreparedData:
    return prepare_data(
        suite.dataset,
        suite.dataset_params,
        segment_seconds=suite.segment_seconds,
        overlap=suite.overlap,
        root=root,
        short_clips=suite.short_clips,
        keep_silence=suite.keep_silence,
    )


def train(
    suite: str | Suite,
    *,
    entries: list[str] | None = None,
    device: str = "auto",
    baselines: Path | None = None,
    dataset: str | None = None,
    data_root: Path | None = None,
    force: bool = False,
) -> list[dict]:
    """Train the suite's reference models (or ``entries``) into ``baselines`` (default:
    :func:`default_baselines`); return their cards. Without ``force`` a committed checkpoint is
    never replaced and a model whose validation accuracy is within chance is not saved."""
    chosen = load_suite(suite) if isinstance(suite, str) else suite
    chosen, root = with_dataset(chosen, dataset, data_root)
    # a defended entry loads its undefended entry's checkpoint: nothing of its own to train
    names = entries or [entry for entry, spec in chosen.models.items() if spec.undefended is None]
    for entry in names:
        if entry not in chosen.models:
            raise BenchmarkError(
                f"suite {chosen.name!r} has no model {entry!r}; it has {', '.join(chosen.models)}"
            )
    baselines = baselines or default_baselines(chosen, root, swapped=bool(dataset))
    protect_committed(baselines, names, force)
    device_ = resolve_device(device)
    make_deterministic()
    prepared = prepare_suite_data(chosen, root)
    models = {entry: chosen.models[entry] for entry in names}
    return train_entries(
        models,
        prepared,
        baselines,
        suite=chosen.name,
        test_fold=chosen.test_fold,
        seed=chosen.seed,
        device=device_,
        save_at_chance=force,
    )


def run(
    suite: str | Suite,
    *,
    device: str = "auto",
    baselines: Path | None = None,
    output: Path | None = None,
    cache: Path | None = None,
    use_cache: bool = True,
    dataset: str | None = None,
    data_root: Path | None = None,
    jobs: int = 1,
    threads: int | None = None,
    ray: bool = False,
    ray_address: str | None = None,
    resident_mb: int = DEFAULT_RESIDENT_BYTES >> 20,
    max_gradients: int | None = DEFAULT_MAX_GRADIENTS,
) -> RunResult:
    """Evaluate a suite: its entries, summary, plots and example figures are written under
    ``output`` (default ``leaderboards/``); finished cells are cached under ``cache``."""
    execution = Execution(
        jobs=jobs,
        threads=threads,
        ray=ray,
        ray_address=ray_address,
        resident_mb=resident_mb,
        max_gradients=max_gradients,
    )
    chosen = load_suite(suite) if isinstance(suite, str) else suite
    chosen, root = with_dataset(chosen, dataset, data_root)
    make_deterministic()
    result = run_suite(
        chosen,
        device=device,
        baselines=baselines or default_baselines(chosen, root, swapped=bool(dataset)),
        output_root=output or default_output_root(),
        cache=CellCache(cache or cache_dir(), enabled=use_cache),
        data_root=root,
        execution=execution,
    )
    publish_outputs(result.entries, result.plan, result.inputs, result.cache.folder)
    return result


def list_suites() -> list[str]:
    """Registered suite names (``arb list suites``)."""
    return SUITES.names()


def list_models() -> list[str]:
    """Registered architectures (``arb list models``); :func:`load_reference` takes the entries of
    the committed checkpoints (``baselines/*.json``)."""
    return MODELS.names()


def list_attacks() -> list[str]:
    """Registered attacks (``arb list attacks``)."""
    return ATTACKS.names()


def _trained_by(entry: str, spec: ModelSpec | None) -> str:
    """The first suite with a model ``entry`` (of this ``spec`` when given): the suite whose
    ``arb train`` re-creates a broken checkpoint."""
    owners = [name for name in list_suites() if entry in load_suite(name).models]
    matching = [name for name in owners if spec is None or load_suite(name).models[entry] == spec]
    return (matching or owners or ["quick"])[0]


def load_reference(name: str, baselines: Path | None = None) -> tuple[ReferenceModel, dict]:
    """A committed reference model (representation + trained network, eval mode) and its model
    card, from ``baselines`` (default: the committed ``baselines/``); ``evaluate`` takes it."""
    folder = baselines or project_root() / "baselines"
    known = sorted(path.stem for path in folder.glob("*.json"))
    if name not in known:
        raise BenchmarkError(f"no reference model {name!r} in {folder}; it has {', '.join(known) or 'none'}")
    card = read_card(folder, name, _trained_by(name, None))
    spec = ModelSpec.model_validate(card["spec"])
    return load_checkpoint(
        name,
        spec,
        folder,
        suite=_trained_by(name, spec),
        sample_rate=card["sample_rate"],
        segment_samples=card["segment_samples"],
        num_classes=card["num_classes"],
    )
