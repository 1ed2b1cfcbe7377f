"""Pack the copy as one archive that is the same, byte for byte, for the same
files: every entry's date is the copy's "as of", its owner nobody, its mode
0644 (0755 for a folder), in sorted order, and the gzip header names no file and
no time of its own."""

import gzip
import hashlib
import io
import tarfile
from datetime import datetime
from pathlib import Path


def pack(directory: Path, files: list[str], *, into: Path, top: str, at: datetime):
    """Write the files of `directory` to the tar.gz `into`, under the folder
    `top`; return its SHA-256 (hex) and size."""
    mtime = int(at.timestamp())
    folders = sorted(
        {str(folder) for name in files for folder in Path(name).parents} - {"."}
    )
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=mtime) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        tar.addfile(_entry(top, mtime, folder=True))
        for folder in folders:
            tar.addfile(_entry(f"{top}/{folder}", mtime, folder=True))
        for name in sorted(files):
            content = (directory / name).read_bytes()
            entry = _entry(f"{top}/{name}", mtime, size=len(content))
            tar.addfile(entry, io.BytesIO(content))
    data = buffer.getvalue()
    into.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), len(data)


def _entry(name: str, mtime: int, *, size: int = 0, folder: bool = False):
    entry = tarfile.TarInfo(name)
    entry.type = tarfile.DIRTYPE if folder else tarfile.REGTYPE
    entry.mode = 0o755 if folder else 0o644
    entry.size = size
    entry.mtime = mtime
    entry.uid = entry.gid = 0
    entry.uname = entry.gname = ""
    return entry
