"""The box (issue 15): submitted code is contained, its answers are checked, interrupts kill it.

Every test that starts a box skips, saying why, where bubblewrap is missing or cannot create
its namespaces (some containers); the refusal itself is tested everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_submission import BUILD, EXAMPLE, FORWARD, TINY_SUITE, edit

from benchmark.cli import main
from benchmark.errors import SubmissionError
from benchmark.leaderboard.io import read_entry
from benchmark.paths import project_root
from benchmark.submission import box as box_module
from benchmark.submission.boxed import boxed
from benchmark.submission.checks import requery_flags
from benchmark.submission.frames import receive, send
from benchmark.submission.loading import build
from benchmark.submission.manifest import load_manifest
from benchmark.submission.sandbox import Limits

needs_box = pytest.mark.skipif(
    box_module.sandbox_problem() is not None, reason=f"no sandbox here: {box_module.sandbox_problem()}"
)
LIMITS = Limits(seconds=120, memory_bytes=8 * 2**30)
ENTRY = Path("tiny_submit") / "v1" / "synth10" / "example-cnn2d-stft.json"


@pytest.fixture
def example(tmp_path) -> Path:
    target = tmp_path / "sub" / EXAMPLE.name
    return Path(shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__")))


@pytest.fixture
def suite(tmp_path) -> Path:
    path = tmp_path / "tiny_submit.toml"
    path.write_text(TINY_SUITE)
    return path


def test_frames_carry_float32_batches_exactly_and_refuse_a_malformed_header():
    read, write = os.pipe()
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    send(write, "forward", (x, np.zeros((0, 4), np.float32)), text="keep")
    op, arrays, text = receive(read)
    assert (op, text) == ("forward", "keep") and arrays[0].tobytes() == x.tobytes()
    assert arrays[1].shape == (0, 4) and arrays[0].flags.writeable
    send(write, "forward", (x,))
    with pytest.raises(SubmissionError, match="malformed frame: 24 bytes of arrays, over the 23 expected"):
        receive(read, max_bytes=23)  # refused from the header, before the bytes are read
    os.read(read, 24)
    os.write(write, (5).to_bytes(4, "little") + b"[1,2]")
    with pytest.raises(SubmissionError, match="malformed frame: the header is not the expected JSON"):
        receive(read)
    os.write(write, (2**20).to_bytes(4, "little"))
    with pytest.raises(SubmissionError, match="malformed frame: a 1048576-byte header"):
        receive(read)
    os.close(read), os.close(write)


def test_without_bubblewrap_submit_refuses_in_one_line_naming_the_flag(
    example, suite, tmp_path, monkeypatch, one_line_error
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    box_module.sandbox_problem.cache_clear()
    try:
        output = tmp_path / "leaderboards"
        args = ["submit", str(example), "--suite", str(suite), "--device", "cpu", "--output", str(output)]
        assert main(args) == 2
        assert one_line_error() == (
            "arb: error: the sandbox cannot start: bubblewrap (bwrap) is not installed; install bubblewrap "
            "and allow unprivileged user namespaces, or pass --unsafe-no-sandbox to run the submission "
            "unsandboxed (trusted code only)"
        )
        assert not output.exists()
    finally:
        box_module.sandbox_problem.cache_clear()


@needs_box
def test_the_example_through_the_box_gives_bit_identical_logits_and_gradients():
    in_process = build(EXAMPLE)
    manifest, weights = load_manifest(EXAMPLE)
    audio = 2 * torch.rand(16, manifest.input.samples, generator=torch.Generator().manual_seed(1)) - 1
    x, labels = in_process.representation(audio), torch.arange(16) % 10

    def logits_and_gradient(network: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        inputs = x.clone().requires_grad_(True)
        logits = network(inputs)
        F.cross_entropy(logits, labels).backward()
        return logits.detach(), inputs.grad

    expected = logits_and_gradient(in_process.network)
    with boxed(EXAMPLE, manifest, weights, LIMITS, device="cpu", stage="testing") as (_, network):
        got = logits_and_gradient(network)
        assert network.box.calls == {"forward": 1, "backward": 1}
        assert network.parameter_count == sum(p.numel() for p in in_process.network.parameters())
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])


LIARS = {
    "different logits on the second call": (
        FORWARD,
        "self.calls = getattr(self, 'calls', 0) + 1\n        "
        + FORWARD.replace("return ", "return 1e-3 * self.calls + "),
        "flag: the same input gave different logits on a second query",
    ),
    "gradients multiplied by -1": (
        FORWARD,
        FORWARD.replace("(spectrogram)", "(Flip.apply(spectrogram))"),
        "flag: the gradient disagrees with finite differences on 6 of 6 probed coordinates",
    ),
}
FLIP = """

class Flip(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return -grad
"""


@needs_box
@pytest.mark.parametrize("case", list(LIARS))
def test_a_lying_model_is_flagged(case, example, capsys):
    old, new, expected = LIARS[case]
    edit(example / "model.py", old, new)
    (example / "model.py").write_text((example / "model.py").read_text() + FLIP)
    assert main(["validate", str(example), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert expected in out and out.count("flag:") == 1


@needs_box
def test_an_honest_model_is_not_flagged(capsys):
    assert main(["validate", str(EXAMPLE), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "in the box" in out and "flag:" not in out


MARKER = "arb-h6-grandchild-marker"
#: the detached grandchild: appends to the file named by its first argument, forever
GRANDCHILD = """import sys, time
while True:
    try:
        open(sys.argv[1], "a").write("x")
    except OSError:
        pass
    time.sleep(0.2)
"""


def hostile_code(tmp_path: Path, port: int) -> str:
    """At import: forge a result, write into the checkout's leaderboards/ and the submission, start a
    detached grandchild that keeps writing, connect to the test's socket and look for a file beside
    the submission; the model fails to build if it reaches the network or sees that file."""
    forged = [tmp_path / "result.json", project_root() / "leaderboards" / "FORGED.json", "result.json"]
    return f"""
import os, socket, subprocess, sys
for _path in {[str(p) for p in forged]!r} + [os.path.join(os.path.dirname(__file__), "FORGED.json")]:
    try:
        open(_path, "w").write('{{"ok": true, "entry_file": "/tmp/forged.json"}}')
    except OSError:
        pass
_argv = [sys.executable, "-c", {GRANDCHILD!r}, {str(tmp_path / "grandchild.txt")!r}, "{MARKER}"]
subprocess.Popen(_argv, start_new_session=True)
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"leak")
except OSError:
    pass
else:
    raise RuntimeError("reached the network")
if os.path.exists({str(tmp_path / "secret.txt")!r}):
    raise RuntimeError("read a file outside the submission")
"""


def marked_processes() -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if MARKER.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


def comparable(path: Path) -> dict:
    """What the harness publishes as numbers: every cell's results (not its key, which hashes the
    code, nor its wall time), clean accuracy, score, flags."""
    entry = json.loads(path.read_text())
    cells = [{k: v for k, v in cell.items() if k not in ("key", "wall_time_s")} for cell in entry["attacks"]]
    return {"attacks": cells, **{name: entry[name] for name in ("model", "score", "flags", "examples")}}


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    """A local TCP server the hostile code tries to reach."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def make_hostile(example: Path, tmp_path: Path, server: socket.socket) -> None:
    (tmp_path / "secret.txt").write_text("a file of the user's, outside the submission")
    hostile = hostile_code(tmp_path, server.getsockname()[1])
    edit(example / "model.py", "from torch import nn\n", "from torch import nn\n" + hostile)


def assert_contained(example: Path, tmp_path: Path, server: socket.socket) -> None:
    """No forged or stray file outside the box's /tmp, no grandchild left, no connection made."""
    assert not marked_processes()  # the grandchild died with the box
    for leaked in (tmp_path / "result.json", project_root() / "leaderboards" / "FORGED.json",
                   example / "FORGED.json", tmp_path / "grandchild.txt"):  # fmt: skip
        assert not leaked.exists(), leaked
    with pytest.raises(BlockingIOError):
        server.accept()  # nobody connected: the box has no network


@needs_box
def test_hostile_code_is_contained_while_validating(example, tmp_path, listening):
    make_hostile(example, tmp_path, listening)
    assert main(["validate", str(example), "--device", "cpu"]) == 0
    assert_contained(example, tmp_path, listening)


@needs_box
@pytest.mark.slow
def test_hostile_code_is_contained_and_the_numbers_are_the_in_process_ones(
    example, suite, tmp_path, listening
):
    reference = tmp_path / "reference"
    args = ["--suite", str(suite), "--device", "cpu"]
    assert main(["submit", str(example), *args, "--output", str(reference), "--unsafe-no-sandbox"]) == 0
    make_hostile(example, tmp_path, listening)
    boxed_output = tmp_path / "boxed"
    assert main(["submit", str(example), *args, "--output", str(boxed_output)]) == 0
    assert comparable(boxed_output / ENTRY) == comparable(reference / ENTRY)
    assert_contained(example, tmp_path, listening)


@needs_box
@pytest.mark.slow
def test_a_lying_model_is_flagged_in_its_entry(example, suite, tmp_path, capsys):
    old, new, _ = LIARS["different logits on the second call"]
    edit(example / "model.py", old, new)
    output = tmp_path / "leaderboards"
    args = ["submit", str(example), "--suite", str(suite), "--device", "cpu", "--output", str(output)]
    assert main(args) == 0
    codes = [flag.code for flag in read_entry(output / ENTRY).flags]
    assert codes.count("inconsistent_logits") == 2  # the same-input check and the re-query after the run
    assert "inconsistent_logits" in capsys.readouterr().out  # shown with the score


def start(command: str, example: Path, suite: Path, tmp_path: Path) -> subprocess.Popen:
    """``arb submit`` (or ``validate``) in a child process whose model starts a marked grandchild and
    answers slowly (``validate``: builds slowly), returned once the box is well under way."""
    sleeper = f"[sys.executable, '-c', 'import time; time.sleep(600)', '{MARKER}']"
    begin = f"    import subprocess, sys, time\n\n    subprocess.Popen({sleeper}, start_new_session=True)\n"
    slow_build = "    time.sleep(60)\n" if command == "validate" else ""
    edit(example / "model.py", BUILD, begin + slow_build + BUILD)
    edit(example / "model.py", FORWARD, "import time; time.sleep(0.5)\n        " + FORWARD)
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(project_root())}
    arguments = [sys.executable, "-m", "benchmark.cli", command, str(example), "--suite", str(suite)]
    arguments += ["--device", "cpu"] + (["--output", str(tmp_path / "out")] if command == "submit" else [])
    process = subprocess.Popen(arguments, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not marked_processes():
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.2)
    time.sleep(2)  # submit: past the checks, into the attacks
    return process


def wait_gone(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while marked_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    return not marked_processes()


@needs_box
@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "signum"),
    [("submit", signal.SIGINT), ("submit", signal.SIGTERM), ("validate", signal.SIGTERM)],
)
def test_an_interrupted_command_kills_the_box_exits_130_and_leaves_nothing(
    command, signum, example, suite, tmp_path
):
    process = start(command, example, suite, tmp_path)
    started = time.monotonic()
    process.send_signal(signum)
    assert process.wait(timeout=30) == 130, process.stderr.read()
    assert time.monotonic() - started < 10
    assert "arb: interrupted" in process.stderr.read()
    assert wait_gone(5)
    # no run folder of ours left (torch may leave its own compile cache there)
    assert not list((tmp_path / "temp").glob("arb-*")) and not (tmp_path / "out").exists()


@needs_box
@pytest.mark.slow
def test_a_killed_submit_takes_its_box_with_it_and_the_next_command_its_folders(
    example, suite, tmp_path, monkeypatch, capsys
):
    process = start("submit", example, suite, tmp_path)
    process.kill()
    process.wait(timeout=30)
    assert wait_gone(10)  # --die-with-parent: the box's PID namespace goes with the harness
    assert not (tmp_path / "out").exists()
    temp = tmp_path / "temp"
    left = [path.name.split("-")[1] for path in temp.glob("arb-*")]
    assert "submit" in left  # SIGKILL runs no cleanup: the run folder (and its test-set rows if made)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    assert main(["validate", str(EXAMPLE), "--device", "cpu"]) == 0
    assert not list(temp.glob("arb-*"))
    err = capsys.readouterr().err
    assert f"arb: removed {len(left)} temporary folder(s) of killed runs: " in err and "arb-submit-" in err


@needs_box
def test_the_requery_after_the_run_catches_answers_that_changed(example):
    """The last scored batches asked again: the honest example keeps its answers, the model whose
    logits drift with each call does not."""
    old, new, _ = LIARS["different logits on the second call"]
    manifest, weights = load_manifest(EXAMPLE)
    x = build(EXAMPLE).representation(torch.zeros(3, manifest.input.samples))
    with boxed(EXAMPLE, manifest, weights, LIMITS, device="cpu", stage="testing") as (_, network):
        network(x)
        assert requery_flags(network) == []
    edit(example / "model.py", old, new)
    with boxed(example, manifest, weights, LIMITS, device="cpu", stage="testing") as (_, network):
        network(x), network(x + 0.01)
        (flag,) = requery_flags(network)
    assert flag.code == "inconsistent_logits" and flag.message.startswith(
        "2 of the last scored batches got different logits when asked again after the run"
    )


@needs_box
def test_a_model_writing_into_the_channel_is_one_line(example, one_line_error):
    """Submitted code can find the box's pipe to the harness; what it writes there is no answer."""
    junk = "import os\nfor _fd in range(3, 64):\n    try:\n        os.write(_fd, b'\\xff' * 4)\n"
    junk += "    except OSError:\n        pass\n"
    edit(example / "model.py", "from torch import nn\n", "from torch import nn\n" + junk)
    assert main(["validate", str(example), "--device", "cpu"]) == 2
    assert one_line_error() == (
        "arb: error: the box sent a malformed answer while validating (malformed frame: a 4294967295-byte "
        "header); the submitted code must not write to file descriptors it did not open"
    )


#: more than the box's 256 MiB /tmp, written 16 MiB at a time
FILL_TMP = "open('/tmp/fill', 'wb').writelines(b'\\0' * (1 << 24) for _ in range(20))\n"


@needs_box
@pytest.mark.parametrize("where", ["import", "forward"])
def test_filling_the_box_tmp_is_one_line_and_publishes_nothing(
    where, example, suite, tmp_path, one_line_error
):
    """The box's /tmp is a tmpfs, RAM that no rlimit counts: capped, a model that fills it fails in
    one line instead of filling the host's memory."""
    if where == "import":
        edit(example / "model.py", "from torch import nn\n", "from torch import nn\n" + FILL_TMP)
    else:
        edit(example / "model.py", FORWARD, FILL_TMP.strip() + "\n        " + FORWARD)
    output = tmp_path / "leaderboards"
    args = ["submit", str(example), "--suite", str(suite), "--device", "cpu", "--output", str(output)]
    assert main(args) == 2
    fails = "does not import" if where == "import" else "forward pass on stft input (2, 1, 257, 63) raised"
    expected = (
        "OSError: [Errno 28] No space left on device; a disk is full (the box's /tmp holds 256 MiB): "
        "write less to temporary files"
    )
    error = one_line_error()
    assert fails in error and error.endswith(expected), error
    assert not output.exists()
