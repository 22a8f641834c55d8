"""The strict pydantic base of every declared config, and one way to turn a validation failure,
or a TOML file that fails one, into the one-line error every command prints
(``<what> <path>: <field>: <problem>``)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from benchmark.errors import BenchmarkError

ModelT = TypeVar("ModelT", bound=BaseModel)

#: the largest seed every generator takes (NumPy's legacy ``np.random.seed`` stops at 2**32 - 1)
MAX_SEED = 2**32 - 1
#: a seed field of a declared config: refused at parse time outside [0, MAX_SEED]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


def check_seed(value: int, what: str) -> int:
    """A seed given outside a declared config (dataset and attack parameters), checked alike."""
    if not 0 <= value <= MAX_SEED:
        raise BenchmarkError(f"{what} must be an integer in [0, {MAX_SEED}] (2**32 - 1), got {value}")
    return value


class Strict(BaseModel):
    """Unknown fields are errors, values are immutable: a typo in a suite never goes unnoticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def first_error(error: ValidationError, top: str = "(top level)") -> str:
    """``<dotted field>: <message>`` of the first problem pydantic found."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or top
    return f"{where}: {first['msg']}"


def load_toml(path: Path, model: type[ModelT], what: str) -> ModelT:
    """Read ``path`` as TOML and validate it as ``model``; a one-line :class:`BenchmarkError` names
    the file (as ``what``) and the first problem otherwise."""
    if not path.is_file():
        raise BenchmarkError(f"{what} {path} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise BenchmarkError(f"{what} {path} is not valid TOML: {error}") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise BenchmarkError(f"{what} {path}: {first_error(error)}") from None
