"""The ``arb data`` commands: fetch a public archive, check a copy, list the archives."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.errors import BenchmarkError


def _check_copy(name: str, root: Path) -> int:
    """Print the classes and folds a dataset copy lists, then every problem; 0 when there is none.
    Nothing is written into the copy (a drawn split is computed, not saved)."""
    from benchmark.data.files import FileDataset
    from benchmark.data.metadata import read_only_splits
    from benchmark.registry import DATASETS

    cls = DATASETS.get(name)
    if not getattr(cls, "reads_files", False):
        raise BenchmarkError(f"dataset {name!r} is generated, there is no copy to check")
    with read_only_splits():
        dataset: FileDataset = cls(root=root)
        print(f"{name} at {root}: {dataset.found()}")
        problems = dataset.check()
    files = len(dataset.entries())
    for problem in problems[:50]:
        print(f"  {problem}")
    if len(problems) > 50:
        print(f"  ... and {len(problems) - 50} more")
    if problems:
        print(f"{name} at {root}: {len(problems)} problem(s) in {files} files", file=sys.stderr)
        return 1
    print(f"{name} at {root}: {files} files, all readable at the expected sample rate")
    return 0


def cmd_data_fetch(args: argparse.Namespace) -> int:
    from benchmark.data.fetch import fetch

    root = fetch(args.name, _data_root(args), url=args.url, checksum=args.checksum)
    print(f"extracted {args.name} into {root}")
    return _check_copy(args.name, root)


def cmd_data_check(args: argparse.Namespace) -> int:
    return _check_copy(args.name, _data_root(args))


def _data_root(args: argparse.Namespace) -> Path:
    if args.data_root is None:
        raise BenchmarkError(f"arb data {args.data_command} needs the dataset's folder: pass --data-root DIR")
    return args.data_root


def cmd_data_list(args: argparse.Namespace) -> int:
    from benchmark.data.fetch import ARCHIVES

    for name, archive in ARCHIVES.items():
        print(f"{name:<13} {archive.url}\n{'':<13} {archive.checksum}  ({archive.source})")
    return 0
