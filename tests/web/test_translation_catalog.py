"""The zh-Hans catalog is complete and its committed .mo matches the .po (no stale build)."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import opslens.web

LC = Path(opslens.web.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries() -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of every entry but the header, plural entries by their singular;
    an entry with a context has its msgid as ``context\x04msgid`` (gettext's own key)."""
    out = []
    for block in LC.joinpath("django.po").read_text(encoding="utf-8").split("\n\n"):
        fuzzy = "#, fuzzy" in block
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        msgid = fields.get("msgid", "")
        if msgid and "msgctxt" in fields:
            msgid = f"{fields['msgctxt']}\x04{msgid}"
        if msgid:
            out.append((msgid, fields.get("msgstr", fields.get("msgstr[0]", "")), fuzzy))
    return out


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    entries = _entries()
    assert len(entries) > 250
    assert [m for m, s, fuzzy in entries if fuzzy] == []
    assert [m for m, s, _f in entries if not s] == []


def test_the_compiled_catalog_matches_the_source() -> None:
    with LC.joinpath("django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    stale = [m for m, s, _f in _entries() if catalog.gettext(m) != s]
    assert stale == [], "run scripts/i18n.sh to recompile django.mo"
