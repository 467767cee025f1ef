"""The Chinese catalogue is complete: every message has a translation, none is fuzzy,
and the compiled catalogue is in step with the source."""

import re
from pathlib import Path

from django.utils import translation

PACKAGE = Path(__file__).resolve().parents[2]
#: The project's catalogue; apps may keep their own beside their code (``<app>/locale``).
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ALL_PO = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def _entries(po: Path = PO) -> list[str]:
    return [e for e in po.read_text(encoding="utf-8").split("\n\n") if "msgid" in e][1:]


def _joined(entry: str, key: str) -> str:
    match = re.search(rf'^{key} (".*?")\n(?=msg|\s*\Z)', entry + "\n", re.S | re.M)
    return "".join(re.findall(r'"(.*)"', match.group(1))) if match else ""


def test_every_message_translated_and_none_fuzzy():
    entries = [e for po in ALL_PO for e in _entries(po)]
    missing = [_joined(e, "msgid") for e in entries
               if "msgid_plural" not in e and not _joined(e, "msgstr")]
    fuzzy = [_joined(e, "msgid") for e in entries if "#, fuzzy" in e]
    assert missing == [] and fuzzy == []


def test_every_catalogue_compiled():
    assert [po for po in ALL_PO if not po.with_suffix(".mo").exists()] == []


def test_compiled_catalogue_matches_source():
    entry = next(e for e in _entries() if _joined(e, "msgid") == "ID number")
    with translation.override("zh-hans"):
        assert translation.gettext("ID number") == _joined(entry, "msgstr") == "公民身份号码"
