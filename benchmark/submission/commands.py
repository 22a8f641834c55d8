"""What ``arb validate`` and ``arb submit`` do in the harness's own process.

Everything that needs no submitted code (manifest schema, paths, weight format, fit to the
suite, an existing entry) is checked here first; the code itself runs only in the box
(:mod:`benchmark.submission.box`), which answers forward and backward while this process runs
the attacks and writes the entry; or, with ``--unsafe-no-sandbox``, in the unsandboxed worker
(:mod:`benchmark.submission.sandbox`), whose entry file is validated against the schema and
checked against the submission. Either way the entry is written to the leaderboard atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmark.errors import SubmissionError
from benchmark.leaderboard.io import entry_path, read_entry, write_entry
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.plan.suite import Suite, load_suite
from benchmark.publish.summary import plot_fooling_curves
from benchmark.registry import DATASETS
from benchmark.runfolders import run_folder
from benchmark.submission.adaptive import check_eot_backends, declared_adaptation
from benchmark.submission.boxed import submit_boxed, validate_boxed
from benchmark.submission.declared import attacks_submission, end_to_end_link
from benchmark.submission.loading import Submission
from benchmark.submission.manifest import MANIFEST, Manifest, load_manifest, submission_info
from benchmark.submission.sandbox import Limits, run_worker


def validate(
    folder: Path, *, limits: Limits, device: str, suite: str | None = None, sandbox: bool = True
) -> tuple[Manifest, dict[str, Any]]:
    """Check a submission end to end (one forward and backward pass, in the box, or with
    ``sandbox=False`` in the unsandboxed worker); with ``suite``, first that the suite can evaluate
    it (the checks ``submit`` makes before any code runs)."""
    manifest, weights = load_manifest(folder)
    if suite is not None:
        check_fits_suite(manifest, load_suite(suite))
    if sandbox:
        return manifest, validate_boxed(folder, manifest, weights, limits, device=device)
    with run_folder("validate") as run_dir:
        request = {"task": "validate", "folder": str(folder.resolve()), "device": device}
        report = run_worker(request, Path(run_dir), limits, stage="validating")
    return manifest, report


def check_fits_suite(manifest: Manifest, suite: Suite) -> None:
    """The suite must evaluate the data and input the model was built for, and attack it (from the
    audio where a waveform defense sits before a representation input): one line naming the fix."""
    where = f"suite {suite.name!r}"
    if manifest.dataset != suite.dataset:
        raise SubmissionError(
            f"dataset {manifest.dataset!r} does not match {where}: it uses {suite.dataset!r}; "
            f"set dataset = {suite.dataset!r} in {MANIFEST} or pick a suite on {manifest.dataset!r}"
        )
    dataset = DATASETS.get(suite.dataset)(**suite.dataset_params)
    samples = round(suite.segment_seconds * dataset.sample_rate)
    spec = manifest.input
    if spec.sample_rate != dataset.sample_rate:
        raise SubmissionError(
            f"input.sample_rate {spec.sample_rate} does not match {where}: "
            f"its data is at {dataset.sample_rate} Hz; set input.sample_rate = {dataset.sample_rate}"
        )
    if spec.samples != samples:
        raise SubmissionError(
            f"input.samples {spec.samples} does not match {where}: "
            f"it cuts {suite.segment_seconds:g} s segments, {samples} samples; set input.samples = {samples}"
        )
    attacking = [attack for attack in suite.attacks if attacks_submission(attack, manifest.defense, spec)]
    if not attacking:
        raise SubmissionError(_unattacked(manifest, suite))
    check_eot_backends(attacking, declared_adaptation(manifest), suite.name)


def _unattacked(manifest: Manifest, suite: Suite) -> str:
    """Why no attack of ``suite`` runs on the submission, and the fix: a waveform defense in front
    of a representation input needs attacks from the audio; any other input, budgets for it."""
    spec, where = manifest.input, f"suite {suite.name!r}"
    link = end_to_end_link(manifest.defense, spec)
    if link is not None:
        return (
            f"field 'defense': {link!r} acts on the waveform in front of input {spec.representation_name!r}, "
            f'so only attacks from the audio (domain = "waveform", waveform budgets) reach it, and {where} '
            f"has none: use a suite whose attacks run from the audio (e.g. --suite defenses), or remove "
            f"{link!r} from the chain"
        )
    attacked = suite.attacked_inputs()
    return (
        f"{where} has no attack budgets for input {spec.representation_name!r}; "
        f"it attacks {', '.join(attacked)}: give the model one of those inputs, or pick a suite "
        f"that attacks {spec.representation_name!r}"
    )


def submit(
    folder: Path,
    suite_name: str,
    *,
    output: Path,
    force: bool,
    limits: Limits,
    device: str,
    max_gradients: int | None = None,
    sandbox: bool = True,
) -> tuple[Path, LeaderboardEntry]:
    """Validate, evaluate (the model in the box, or with ``sandbox=False`` everything in the
    unsandboxed worker), check the entry and publish it."""
    manifest, weights = load_manifest(folder)
    suite = load_suite(suite_name)
    check_fits_suite(manifest, suite)
    target = entry_path(output, suite.name, suite.version, suite.dataset, manifest.name)
    if target.exists() and not force:
        raise SubmissionError(f"{target} already exists; pass --force to replace it")
    info = submission_info(folder, manifest)
    # the harness: imported only here, to keep `arb validate` quick
    from benchmark.submission.evaluate import check_planned_gradients, evaluate_submission

    if max_gradients is not None:  # before any submitted code runs
        check_planned_gradients(suite, manifest, info, limit=max_gradients)
    with run_folder("submit") as run_dir:
        if sandbox:

            def evaluate(submission: Submission) -> LeaderboardEntry:
                root = Path(run_dir)
                return evaluate_submission(
                    suite, submission, info, device=device, output_root=root, max_gradients=max_gradients
                )[1]

            entry = submit_boxed(folder, manifest, weights, evaluate, limits, device=device)
        else:
            entry = _submit_in_worker(folder, suite, info, Path(run_dir), limits, device, max_gradients)
    expected = (manifest.name, suite.name, suite.version, suite.resolved(), info)
    if entry.submission is None or expected != (
        entry.entry,
        entry.suite.name,
        entry.suite.version,
        entry.config,
        entry.submission.model_dump(),
    ):
        raise SubmissionError(
            f"the entry file the worker wrote does not describe {manifest.name!r} on {suite.name!r}"
        )
    write_entry(target, entry)
    plot_fooling_curves(entry, target.with_name(f"{entry.entry}_fooling_rate.png"))
    return target, entry


def _submit_in_worker(
    folder: Path,
    suite: Suite,
    info: dict[str, Any],
    run_dir: Path,
    limits: Limits,
    device: str,
    max_gradients: int | None,
) -> LeaderboardEntry:
    """The unsandboxed path: the worker evaluates and writes the entry; it is read back checked."""
    request = {
        "task": "submit",
        "folder": str(folder.resolve()),
        "device": device,
        "suite": suite.resolved(),
        "submission": info,
        "max_gradients": max_gradients,
    }
    report = run_worker(request, run_dir, limits, stage="validating and evaluating")
    produced = Path(report["entry_file"])
    if not produced.resolve().is_relative_to(run_dir.resolve()):
        raise SubmissionError(f"the worker reported an entry file outside its run directory: {produced}")
    return read_entry(produced)
