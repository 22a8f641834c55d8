"""User-facing errors: one line that names the problem and the fix.

The CLI prints ``str(error)`` of a :class:`BenchmarkError` without a traceback and exits
non-zero; anything else is a bug and keeps its traceback.
"""


class BenchmarkError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class UnknownNameError(BenchmarkError, KeyError):
    """A registry lookup failed; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class BudgetError(BenchmarkError, ValueError):
    """An attack budget is empty, unsorted or outside the input domain's bounds."""


class CheckpointError(BenchmarkError):
    """A checkpoint or model card is missing, corrupt, or does not fit its architecture."""


class SchemaError(BenchmarkError):
    """A results or leaderboard file does not validate against the schema."""


class SubmissionError(BenchmarkError):
    """A submission's manifest, code or weights fail a check; the message names the field or file."""


class CellsInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM while a run's cells ran; the message says how many were kept."""
