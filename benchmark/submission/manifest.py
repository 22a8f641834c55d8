"""The submission manifest (``submissions/<name>/submission.toml``) and the checks that need no
submitted code to run: schema, file formats, and paths that must stay inside the folder."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from benchmark.defenses.base import DefenseSpec
from benchmark.errors import SubmissionError
from benchmark.jsonio import sha256_file
from benchmark.models.hf_folder import PretrainedFolder, check_fits, read_pretrained, require_transformers
from benchmark.models.reference import PICKLE_SUFFIXES
from benchmark.paths import installed, project_root
from benchmark.registry import DATASETS
from benchmark.submission.declared import InputSpec, check_defense, registered
from benchmark.validation import Strict

MANIFEST = "submission.toml"
TEMPLATE = "submissions/submission.template.toml"
IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"


def template() -> str:
    """The manifest template as messages name it: relative in a checkout, in full when installed."""
    return str(project_root() / TEMPLATE) if installed() else TEMPLATE


class Manifest(Strict):
    """Who made the model, under which license, for which data, and how to build and load it."""

    model_config = ConfigDict(strict=True)

    name: str = Field(description="the leaderboard entry name (and file name)")
    authors: list[str] = Field(min_length=1)
    paper: str | None = Field(None, pattern=r"^https?://\S+$", description="link to the paper or report")
    license: str = Field(min_length=1)
    dataset: str
    entry_point: str | None = Field(
        None, description="module:function; the function takes no arguments and returns a torch.nn.Module"
    )
    weights: str | None = Field(None, description="safetensors file, relative to the submission folder")
    huggingface: str | None = Field(
        None,
        description="instead of entry_point and weights: a transformers save_pretrained folder of an "
        "audio classifier, relative to the submission folder ('.': the folder itself)",
    )
    input: InputSpec
    randomized: bool = Field(
        False,
        description="true if the same input may give different logits (a randomized forward): the "
        "box's same-input checks are skipped, the model is judged over the suite's defense_draws "
        "passes and attacked with EOT too",
    )
    defense: list[DefenseSpec] = Field(
        [],
        description="defenses the harness runs in front of the model, in order, as a suite writes "
        'them: [{ name = "quantize", bits = 8 }] (arb list defenses)',
    )

    @field_validator("name")
    @classmethod
    def _name_is_a_file_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", value):
            raise ValueError(
                f"{value!r} must be 1-64 letters, digits, '.', '_' or '-', starting alphanumeric"
            )
        return value

    @field_validator("entry_point")
    @classmethod
    def _entry_point_is_module_function(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(rf"{IDENTIFIER}(\.{IDENTIFIER})*:{IDENTIFIER}", value):
            raise ValueError(f"{value!r} must look like module:function, e.g. 'model:build'")
        return value

    @field_validator("dataset")
    @classmethod
    def _dataset_is_registered(cls, value: str) -> str:
        return registered(DATASETS, value)

    @field_validator("weights")
    @classmethod
    def _weights_are_safetensors(cls, value: str | None) -> str | None:
        if value is None:
            return value
        suffix = Path(value).suffix.lower()
        if suffix in PICKLE_SUFFIXES:
            raise ValueError(
                f"{value!r} is a pickle checkpoint, which runs arbitrary code when loaded; convert it in "
                f"your own environment: save_file(torch.load({value!r}, weights_only=True), "
                f"'model.safetensors') with save_file from safetensors.torch, and set "
                f'weights = "model.safetensors"'
            )
        if suffix != ".safetensors":
            raise ValueError(f"{value!r} must be a .safetensors file (safetensors.torch.save_file)")
        return value

    @model_validator(mode="after")
    def _one_kind_of_model(self) -> Manifest:
        """Code and weights, or a Hugging Face folder (which takes raw audio)."""
        if self.huggingface is None and (self.entry_point is None or self.weights is None):
            raise ValueError(
                "give entry_point and weights (your torch code), or huggingface = the save_pretrained "
                f"folder (see {TEMPLATE})"
            )
        if self.huggingface is not None and (self.entry_point is not None or self.weights is not None):
            raise ValueError("huggingface replaces entry_point and weights: remove those two fields")
        if self.huggingface is not None and self.input.domain != "waveform":
            raise ValueError('a huggingface model takes raw audio: set input.domain = "waveform"')
        check_defense(self.defense, self.input)
        return self

    def identity(self) -> dict[str, Any]:
        """The manifest as JSON data without the other kind's unset fields, so that a code
        submission's cell keys (and the targets drawn from them) stay what they were."""
        unused = {"huggingface"} if self.huggingface is None else {"entry_point", "weights"}
        # absent before the fields existed: the cell keys of a model without them stay what they were
        unused |= {name for name in ("randomized", "defense") if not getattr(self, name)}
        return self.model_dump(mode="json", exclude=unused)

    @property
    def source(self) -> str:
        """What builds the model: the entry point, or ``huggingface:<folder>``."""
        return self.entry_point or f"huggingface:{self.huggingface}"

    @property
    def module(self) -> str:
        return self.source.split(":", 1)[0]

    @property
    def function(self) -> str:
        return self.source.split(":", 1)[1]


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if not where and first["type"] == "value_error":
        return str(first["ctx"]["error"])
    where = where or "(top level)"
    if first["type"] == "extra_forbidden":
        return f"unknown field {where!r}; remove it (see {template()} for the fields)"
    if first["type"] == "missing":
        return f"missing required field {where!r} (see {template()})"
    message = str(first["ctx"]["error"]) if first["type"] == "value_error" else first["msg"]
    got = "" if first["type"] == "value_error" else f" (got {first['input']!r})"
    return f"field {where!r}: {message}{got}"


def read_manifest(folder: Path) -> Manifest:
    """Parse and validate ``folder/submission.toml`` (no file it names needs to exist yet)."""
    if not folder.is_dir():
        raise SubmissionError(f"submission folder {folder} does not exist")
    path = folder / MANIFEST
    if not path.is_file():
        raise SubmissionError(f"no {MANIFEST} in {folder}; copy {template()} there and fill it in")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SubmissionError(f"{path} is not valid TOML: {error}") from None
    try:
        return Manifest.model_validate(data)
    except ValidationError as error:
        raise SubmissionError(f"{path}: {_describe(error)}") from None


def submitted_file(folder: Path, relative: str, what: str) -> Path:
    """``folder/relative`` resolved, refused if it is absolute, climbs out with ``..``, or resolves
    (through symlinks) outside the folder: submitted files stay in the submission. Stricter than
    :func:`benchmark.paths.inside` (which accepts a ``..`` that stays inside and returns the path
    unresolved), with a message per way out, since a submitter reads them."""
    path = Path(relative)
    if path.is_absolute():
        raise SubmissionError(f"{what} {relative!r} is an absolute path; give a path inside {folder}")
    if ".." in path.parts:
        raise SubmissionError(
            f"{what} {relative!r} leaves the submission folder ('..'); keep the file inside {folder}"
        )
    resolved = (folder / path).resolve()
    if not resolved.is_relative_to(folder.resolve()):
        raise SubmissionError(
            f"{what} {relative!r} is a symlink to {resolved}, outside the submission folder; "
            f"copy the file into {folder}"
        )
    return resolved


def module_file(folder: Path, manifest: Manifest) -> Path:
    """The entry point module's file inside the folder (``a/b.py`` or ``a/b/__init__.py``)."""
    relative = manifest.module.replace(".", "/")
    for candidate in (f"{relative}.py", f"{relative}/__init__.py"):
        if (folder / candidate).exists() or (folder / candidate).is_symlink():
            return submitted_file(folder, candidate, f"entry point module {manifest.module!r}: file")
    raise SubmissionError(
        f"entry_point {manifest.entry_point!r}: no {relative}.py in {folder}; "
        f"fix entry_point or add the module"
    )


def code_sha256(folder: Path) -> str:
    """sha256 over the folder's Python files (relative names and bytes), in name order."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" not in path.parts and path.resolve().is_relative_to(folder.resolve()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def pretrained_folder(folder: Path, relative: str, manifest: Manifest) -> PretrainedFolder:
    """The manifest's Hugging Face folder, checked without loading it: its files inside the
    submission, complete, safetensors only, no custom code, labels and sampling rate fitting."""
    path = submitted_file(folder, relative, "huggingface folder")
    if path.is_dir():
        for child in sorted(path.iterdir()):
            submitted_file(folder, str(child.relative_to(folder)), "file")
    pretrained = read_pretrained(path)
    classes = getattr(DATASETS.get(manifest.dataset), "classes", None)  # per copy for `folder`
    check_fits(pretrained, classes=classes, dataset=manifest.dataset, sample_rate=manifest.input.sample_rate)
    require_transformers()
    return pretrained


def check_file_names(folder: Path) -> None:
    """Every name in the folder must be UTF-8: the code hash, the request and the entry record
    names as text, and a name that cannot be encoded would stop them halfway."""
    for path in folder.rglob("*"):
        try:
            path.name.encode("utf-8")
        except UnicodeEncodeError:
            name = os.fsencode(path.relative_to(folder))
            raise SubmissionError(
                f"{folder} holds a file whose name is not valid UTF-8 ({name!r}); rename or remove it"
            ) from None


def load_manifest(folder: Path) -> tuple[Manifest, Path]:
    """The manifest and its weights file (or Hugging Face folder), after every check that runs no
    submitted code."""
    folder = folder.resolve()
    manifest = read_manifest(folder)
    check_file_names(folder)
    if manifest.name != folder.name:
        raise SubmissionError(
            f"{folder / MANIFEST}: name {manifest.name!r} must equal the folder's name {folder.name!r} "
            f"(submissions/<name>/ becomes the entry <name>.json); rename one of them"
        )
    if manifest.huggingface is not None:
        return manifest, pretrained_folder(folder, manifest.huggingface, manifest).path
    module_file(folder, manifest)
    weights = submitted_file(folder, manifest.weights, "weights")
    if not weights.is_file():
        raise SubmissionError(
            f"weights file {manifest.weights!r} does not exist in {folder}; add it or fix `weights`"
        )
    with open(weights, "rb") as handle:
        header = handle.read(8)
    # safetensors starts with a little-endian u64 header length; a pickle starts with 0x80 (protocol 2+)
    # or is a zip archive (torch.save): say so instead of a parser error.
    if header[:1] == b"\x80" or header[:2] == b"PK":
        raise SubmissionError(
            f"weights file {manifest.weights!r} holds a pickle / torch.save checkpoint, not safetensors; "
            f"convert it with safetensors.torch.save_file(state_dict, 'model.safetensors') "
            f"in your own environment"
        )
    return manifest, weights


def submission_info(folder: Path, manifest: Manifest) -> dict[str, object]:
    """The schema ``SubmissionInfo`` recorded in the entry's leaderboard file."""
    folder = folder.resolve()
    return {
        "name": manifest.name,
        "authors": manifest.authors,
        "paper": manifest.paper,
        "license": manifest.license,
        "entry_point": manifest.source,
        "manifest_sha256": sha256_file(folder / MANIFEST),
        "code_sha256": code_sha256(folder),
    }
