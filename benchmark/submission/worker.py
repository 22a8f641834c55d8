"""The child process that runs submitted code: ``python -m benchmark.submission.worker request.json``.

Used only with ``--unsafe-no-sandbox`` (otherwise the model runs in the box and the harness
evaluates it); then only this process imports a submission. It builds the model, loads its weights
(safetensors only), runs the checks ``arb validate`` promises, and for ``arb submit`` evaluates the
model with the suite's standard protocol, writing the entry file under its own run directory (its
working directory) for the parent to validate and publish. The answer goes to ``result.json``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmark.errors import BenchmarkError
from benchmark.jsonio import atomic_write_json
from benchmark.runtime import make_deterministic, resolve_device
from benchmark.submission.loading import build, check_model
from benchmark.submission.sandbox import RESULT


def _validate(request: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    report = check_model(build(Path(request["folder"])), resolve_device(request["device"]))
    return {**report, "seconds": round(time.perf_counter() - started, 3)}


def _submit(request: dict[str, Any]) -> dict[str, Any]:
    # The harness (attacks, metrics, data) is imported only here, to keep `arb validate` quick.
    from benchmark.plan.suite import Suite
    from benchmark.submission.evaluate import evaluate_submission

    submission = build(Path(request["folder"]))
    check_model(submission, resolve_device(request["device"]))
    path, _entry = evaluate_submission(
        Suite.model_validate(request["suite"]),
        submission,
        request["submission"],
        device=request["device"],
        output_root=Path("leaderboards").resolve(),
        max_gradients=request.get("max_gradients"),
    )
    return {"entry_file": str(path)}


TASKS = {"validate": _validate, "submit": _submit}


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[0]).read_text())
    make_deterministic()
    try:
        result = {"ok": True, **TASKS[request["task"]](request)}
    except BenchmarkError as error:
        result = {"ok": False, "error": str(error)}
    atomic_write_json(Path(RESULT), result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
