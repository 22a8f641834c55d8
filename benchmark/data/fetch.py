"""``arb data fetch``: download a public dataset archive, verify it, extract it atomically.

Nothing is half-written: the download grows a ``.part`` file beside ``ROOT`` (an interrupted
transfer resumes from its end with an HTTP Range request), the archive is checked against the
checksum in :data:`ARCHIVES` before anything is extracted, and extraction goes into a temporary
folder beside ``ROOT`` that is renamed to ``ROOT`` only when complete. stdlib HTTP only.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from benchmark import __version__
from benchmark.errors import BenchmarkError
from benchmark.jsonio import default_mode
from benchmark.progress import progress_bar

CHUNK = 1 << 20


@dataclass(frozen=True)
class Archive:
    """One public archive: where it is, its checksum, and the folder inside it that is ROOT."""

    url: str
    #: ``"md5:<hex>"`` or ``"sha256:<hex>"``
    checksum: str
    #: folder inside the archive that becomes ROOT (None: the archive's top level is ROOT)
    top: str | None
    #: where the URL and checksum were taken from
    source: str
    mirrors: tuple[str, ...] = ()


_ESC50 = Archive(
    url="https://github.com/karoldvl/ESC-50/archive/master.zip",
    checksum="md5:7771e4b9d86d0945acce719c7a59305a",
    top="ESC-50-master",
    source="soundata esc50 REMOTES (GitHub branch archive: if upstream regenerates it the checksum "
    "changes; fetch with --checksum none and rely on `arb data check`)",
)

#: dataset -> its public archive (ESC-10 is part of the ESC-50 archive)
ARCHIVES: dict[str, Archive] = {
    "esc50": _ESC50,
    "esc10": _ESC50,
    "urbansound8k": Archive(
        url="https://zenodo.org/record/1203745/files/UrbanSound8K.tar.gz",
        checksum="md5:9aa69802bbf37fb986f71ec1483a196e",
        top="UrbanSound8K",
        source="soundata urbansound8k REMOTES (zenodo record 1203745)",
    ),
    "gtzan": Archive(
        url="http://opihi.cs.uvic.ca/sound/genres.tar.gz",
        checksum="sha256:24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6",
        top=None,
        source="torchaudio.datasets.gtzan _CHECKSUMS "
        "(mirdata gtzan_genre: md5 5b3d6dddb579ab49814ab86dba69e7c7)",
        mirrors=("https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz",),
    ),
}


def parse_checksum(text: str) -> tuple[str, str] | None:
    """``"md5:<hex>"`` / ``"sha256:<hex>"`` -> (algorithm, hex); ``"none"`` -> None."""
    if text.lower() == "none":
        return None
    algorithm, _, digest = text.partition(":")
    if (
        algorithm not in ("md5", "sha256")
        or not digest
        or any(c not in "0123456789abcdef" for c in digest.lower())
    ):
        raise BenchmarkError(f"checksum {text!r} must look like md5:<hex>, sha256:<hex> or none")
    return algorithm, digest.lower()


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, part: Path, *, timeout: float = 60.0) -> None:
    """Download ``url`` into ``part``, continuing an existing ``part`` with an HTTP Range request.

    A transfer that stops early raises a one-line error and keeps ``part``, so the same
    command resumes it; a server that ignores Range restarts the file from zero.
    """
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": f"audio-robustbench/{__version__}"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and have:
            return  # the part file already holds the whole archive; the checksum decides
        raise BenchmarkError(f"download of {url} failed: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise BenchmarkError(f"cannot reach {url} ({reason}); try a mirror with --url") from None
    with response:
        if have and response.status == 206:
            if not (response.headers.get("Content-Range") or "").startswith(f"bytes {have}-"):
                raise BenchmarkError(f"{url}: server resumed at the wrong offset; delete {part} and retry")
            mode = "ab"
        else:
            have, mode = 0, "wb"
        length = response.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        got = have
        with open(part, mode) as out, progress_bar(f"downloading {Path(url).name}", total or 0) as advance:
            advance(have, "resuming" if have else "")
            try:
                while block := response.read(CHUNK):
                    out.write(block)
                    got += len(block)
                    advance(len(block), f"{got / 2**20:.1f} MiB")
            except (http.client.IncompleteRead, ConnectionError, TimeoutError, OSError) as error:
                out.flush()
                raise BenchmarkError(
                    f"download of {url} interrupted after {got} bytes ({type(error).__name__}); "
                    f"run the same command again to resume from {part.name}"
                ) from None
    if total is not None and got < total:
        raise BenchmarkError(
            f"download of {url} interrupted after {got} of {total} bytes; "
            "run the same command again to resume"
        )


def _safe_members(names: list[str], into: Path) -> None:
    """Refuse archive members that would land outside ``into`` (absolute paths, ``..``)."""
    base = into.resolve()
    for name in names:
        target = (into / name).resolve()
        if target != base and base not in target.parents:
            raise BenchmarkError(f"archive member {name!r} would extract outside the target folder; refusing")


def extract(archive: Path, into: Path) -> None:
    """Extract a .zip or .tar(.gz) archive into the existing folder ``into``."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as handle:
                _safe_members(handle.namelist(), into)
                handle.extractall(into)
            return
        with tarfile.open(archive) as handle:
            _safe_members(handle.getnames(), into)
            handle.extractall(into, filter="data")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
        raise BenchmarkError(f"{archive}: cannot extract ({error})") from None


def fetch(name: str, root: Path, *, url: str | None = None, checksum: str | None = None) -> Path:
    """Download, verify and extract dataset ``name`` so that ``root`` is its official layout."""
    if name not in ARCHIVES:
        raise BenchmarkError(
            f"no public archive for dataset {name!r}; fetchable: {', '.join(sorted(ARCHIVES))}"
        )
    spec = ARCHIVES[name]
    source = url or spec.url
    expected = parse_checksum(checksum if checksum is not None else spec.checksum)
    root = root.expanduser().absolute()
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise BenchmarkError(
            f"{root} already exists and is not empty; verify it with "
            f"`arb data check {name} --data-root {root}` or fetch into a new folder"
        )
    root.parent.mkdir(parents=True, exist_ok=True)
    part = root.parent / f".{root.name}.{Path(source.split('?')[0]).name}.part"
    try:
        download(source, part)
    except BenchmarkError as error:
        if spec.mirrors and url is None and str(error).startswith("cannot reach"):
            raise BenchmarkError(f"{error}; e.g. --url {spec.mirrors[0]}") from None
        raise
    if expected is not None:
        algorithm, digest = expected
        actual = file_digest(part, algorithm)
        if actual != digest:
            part.unlink()
            raise BenchmarkError(
                f"checksum mismatch for {source}: {algorithm} {actual}, expected {digest}; "
                "the download was deleted and nothing was extracted"
            )
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.extract-", dir=root.parent))
    try:
        extract(part, staging)
        produced = staging / spec.top if spec.top else staging
        if not produced.is_dir():
            raise BenchmarkError(
                f"{source}: the archive has no top folder {spec.top!r}; is --url the right archive?"
            )
        if root.exists():
            root.rmdir()  # empty, checked above
        produced.chmod(default_mode(directory=True))  # mkdtemp made it 0700
        os.replace(produced, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    part.unlink()
    return root
