"""Uploads kept between the steps of an import (upload → column mapping → save).

The file goes to ``MEDIA_ROOT/<folder>/<token>`` (never into the session); the token is a random
name that also fixes the extension, so a request can only name a kept upload of the right kind.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from opslens.core.errors import UnreadableFileError

MAX_UPLOAD = 20 * 1024 * 1024
_TOKEN = re.compile(r"^[0-9a-f]{32}\.(csv|txt|tsv|xlsx|xlsm|xls|ods)$")


@dataclass(frozen=True)
class Kept:
    token: str
    name: str  # the file name the user uploaded
    data: bytes


def _dir(folder: str) -> Path:
    path = Path(settings.MEDIA_ROOT) / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(upload: Any, folder: str) -> Kept:
    """Store an uploaded spreadsheet (CSV or workbook, at most 20 MB) under a new token."""
    name = upload.name or "upload"
    ext = Path(name).suffix.lower().lstrip(".")
    if upload.size > MAX_UPLOAD:
        raise UnreadableFileError(
            _("the file is larger than %(mb)d MB") % {"mb": MAX_UPLOAD // 2**20}, file=name
        )
    token = f"{uuid.uuid4().hex}.{ext or 'bin'}"
    if not _TOKEN.match(token):
        raise UnreadableFileError(
            _("unsupported file type; use CSV or XLSX"), file=name, value=ext or None
        )
    target = _dir(folder) / token
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    target.with_suffix(target.suffix + ".name").write_text(name, encoding="utf-8")
    return Kept(token, name, target.read_bytes())


def load(token: str, folder: str) -> Kept:
    """The upload a token names; :class:`UnreadableFileError` when it is gone or invalid."""
    path = _dir(folder) / token if _TOKEN.match(token) else None
    if path is None or not path.exists():
        raise UnreadableFileError(_("the upload has expired; upload the file again"))
    name_file = path.with_suffix(path.suffix + ".name")
    name = name_file.read_text(encoding="utf-8") if name_file.exists() else token
    return Kept(token, name, path.read_bytes())


def discard(token: str, folder: str) -> None:
    if _TOKEN.match(token):
        path = _dir(folder) / token
        path.unlink(missing_ok=True)
        path.with_suffix(path.suffix + ".name").unlink(missing_ok=True)
