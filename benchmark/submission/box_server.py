"""The model's side of the box: ``python -m benchmark.submission.box_server FOLDER DEVICE THREADS``.

Runs inside bubblewrap (:mod:`benchmark.submission.box`). It builds the submitted model (the
only place submitted code runs when sandboxed) and then answers two questions over stdin /
stdout frames (:mod:`benchmark.submission.frames`), a batch at a time:

- ``forward(x) -> logits`` (``keep`` in the text: keep the graph for the backward that follows);
- ``backward(x, grad_logits) -> grad_x``, the vector-Jacobian product ``grad_logits^T d logits / dx``.

Nothing else: no file, no result, no count leaves the box. What the model prints goes to stderr,
so it cannot be mistaken for a frame.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

from benchmark.errors import BenchmarkError
from benchmark.runtime import limit_threads, make_deterministic
from benchmark.submission.frames import ChannelClosed, receive, send
from benchmark.submission.loading import Submission, architecture, build, describe, parameter_count


class Server:
    """One model, and the graph of the last ``forward`` asked to keep it."""

    def __init__(self, submission: Submission, device: torch.device) -> None:
        self.network = submission.network.to(device)
        self.device = device
        self.kept: tuple[torch.Tensor, torch.Tensor] | None = None

    def _input(self, array: np.ndarray, grad: bool) -> torch.Tensor:
        return torch.from_numpy(array).to(self.device).requires_grad_(grad)

    def forward(self, x: np.ndarray, keep: bool) -> np.ndarray:
        inputs = self._input(x, keep)
        with torch.set_grad_enabled(keep):
            logits = self.network(inputs)
        self.kept = (inputs, logits) if keep else None
        return logits.detach().float().cpu().numpy()

    def backward(self, x: np.ndarray, grad_logits: np.ndarray) -> np.ndarray | None:
        """Reuse the kept graph when ``x`` is the input it was built on, else build it again;
        ``None`` when no gradient reaches the input (the harness's check names that)."""
        kept = self.kept
        if kept is None or not torch.equal(kept[0].detach().cpu(), torch.from_numpy(x)):
            inputs = self._input(x, True)
            kept = (inputs, self.network(inputs))
        self.kept = None
        inputs, logits = kept
        if not logits.requires_grad:
            return None
        grad_outputs = torch.from_numpy(grad_logits).to(self.device)
        (grad,) = torch.autograd.grad(logits, inputs, grad_outputs, allow_unused=True)
        return None if grad is None else grad.detach().float().cpu().numpy()


def serve(folder: Path, device: torch.device, channel: tuple[int, int]) -> None:
    """Build the model, say ``ready`` (its architecture and size), then answer until ``close``."""
    read, write = channel
    try:
        submission = build(folder)
    except BenchmarkError as error:
        send(write, "error", text=str(error))
        return
    server = Server(submission, device)
    network = submission.network
    facts = {"architecture": architecture(network), "parameters": parameter_count(network)}
    send(write, "ready", text=json.dumps(facts))
    while True:
        try:
            op, arrays, text = receive(read)
        except ChannelClosed:
            return
        try:
            if op == "forward":
                answer = server.forward(arrays[0], keep=text == "keep")
            elif op == "backward":
                answer = server.backward(arrays[0], arrays[1])
            else:
                return
        except Exception as error:  # the model's own failure, reported as one line
            send(write, "error", text=describe(error, f"the model's {op} pass failed"))
            continue
        send(write, op, () if answer is None else (answer,))


def main(argv: list[str]) -> int:
    # The channel keeps the original stdin / stdout; the model's prints go to stderr.
    channel = (os.dup(0), os.dup(1))
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    make_deterministic()
    limit_threads(int(argv[2]))
    serve(Path(argv[0]), torch.device(argv[1]), channel)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
