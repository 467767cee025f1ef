"""The Chinese catalogue is complete: every message has a translation, none is fuzzy,
and the compiled catalogue is in step with the source."""

import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries() -> list[str]:
    return [e for e in PO.read_text(encoding="utf-8").split("\n\n") if "msgid" in e][1:]


def _joined(entry: str, key: str) -> str:
    match = re.search(rf'^{key} (".*?")\n(?=msg|\s*\Z)', entry + "\n", re.S | re.M)
    return "".join(re.findall(r'"(.*)"', match.group(1))) if match else ""


def test_every_message_translated_and_none_fuzzy():
    missing = [_joined(e, "msgid") for e in _entries()
               if "msgid_plural" not in e and not _joined(e, "msgstr")]
    fuzzy = [_joined(e, "msgid") for e in _entries() if "#, fuzzy" in e]
    assert missing == [] and fuzzy == []


def test_compiled_catalogue_matches_source():
    entry = next(e for e in _entries() if _joined(e, "msgid") == "ID number")
    with translation.override("zh-hans"):
        assert translation.gettext("ID number") == _joined(entry, "msgstr") == "公民身份号码"
