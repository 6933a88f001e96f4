"""Reading a batch zip: which entries are images to process, and their bytes read with a size cap.

Nothing here trusts the sizes an archive declares: an entry is read at most ``cap + 1`` bytes far.
"""

from __future__ import annotations

import io
import zipfile
import zlib

JUNK_FOLDERS = ("__MACOSX",)
ENCRYPTED_FLAG = 0x1
READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, zlib.error, EOFError, OSError,
               ValueError, RuntimeError)


class EntryTooLargeError(Exception):
    """An entry produced more bytes than the cap allows."""


def open_archive(data: bytes) -> zipfile.ZipFile:
    """The archive; ``zipfile.BadZipFile`` (also for archives zipfile cannot list) when it is not a readable zip."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise
    except READ_ERRORS as exc:
        raise zipfile.BadZipFile(str(exc)) from exc


def is_junk(info: zipfile.ZipInfo) -> bool:
    """Directories, macOS resource forks (``__MACOSX/``) and hidden files (base name starting with ".")."""
    if info.is_dir():
        return True
    parts = info.filename.replace("\\", "/").split("/")
    return any(part in JUNK_FOLDERS for part in parts[:-1]) or parts[-1].startswith(".") or not parts[-1]


def image_entries(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The entries to process, in the archive's own order."""
    return [info for info in archive.infolist() if not is_junk(info)]


def is_encrypted(info: zipfile.ZipInfo) -> bool:
    return bool(info.flag_bits & ENCRYPTED_FLAG)


def read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """The entry's bytes; ``EntryTooLargeError`` past ``cap``, one of ``READ_ERRORS`` when it is corrupt."""
    with archive.open(info) as stream:
        blob = stream.read(cap + 1)
    if len(blob) > cap:
        raise EntryTooLargeError(info.filename)
    return blob
