"""The text of a PDF, for tests, with the standard library only (no PDF package is in the
lock file).

Enough of PDF to read what ReportLab and Chromium (Skia) write: the objects in order,
Flate and ASCII85 streams, the page tree with inherited resources, form XObjects, and the text
operators (``Tf``, ``Tj``, ``TJ``, ``'``, ``"``) decoded through each font's ``ToUnicode``
CMap (ReportLab's TrueType subsets are one byte a glyph, Chromium's fonts one or two).
Not a general PDF reader: no object streams, encryption or other filters.
"""

from __future__ import annotations

import base64
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["pdf_text", "pdf_pages_text", "squeeze"]

_WS = b" \t\r\n\x0c\x00"
_DELIMITERS = b"()<>[]{}/%"
_OBJ = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")


@dataclass(frozen=True)
class Ref:
    number: int


@dataclass(frozen=True)
class Name:
    value: str


class String(bytes):
    """A string operand (literal or hex), told apart from an operator."""


@dataclass
class Stream:
    meta: dict[str, Any]
    raw: bytes


class _Parser:
    """PDF objects (and content-stream tokens) from ``data`` at ``pos``."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def skip(self) -> None:
        data, n = self.data, len(self.data)
        while self.pos < n:
            c = data[self.pos]
            if c in _WS:
                self.pos += 1
            elif c == 0x25:  # % comment
                end = data.find(b"\n", self.pos)
                self.pos = n if end < 0 else end + 1
            else:
                return

    def word(self) -> bytes:
        start, data = self.pos, self.data
        while self.pos < len(data) and data[self.pos] not in _WS and \
                data[self.pos] not in _DELIMITERS:
            self.pos += 1
        return data[start:self.pos]

    def token(self) -> Any:
        """The next object or operator (an operator is returned as ``bytes``); ``None``
        at the end."""
        self.skip()
        data = self.data
        if self.pos >= len(data):
            return None
        c = data[self.pos:self.pos + 1]
        if c == b"/":
            self.pos += 1
            return Name(self.word().decode("latin-1"))
        if c == b"(":
            return self.literal()
        if data.startswith(b"<<", self.pos):
            self.pos += 2
            return self.dictionary()
        if c == b"<":
            end = data.index(b">", self.pos)
            text = re.sub(rb"\s", b"", data[self.pos + 1:end])
            self.pos = end + 1
            return String(bytes.fromhex((text + b"0" * (len(text) % 2)).decode("ascii")))
        if c == b"[":
            self.pos += 1
            items: list[Any] = []
            while True:
                self.skip()
                if data[self.pos:self.pos + 1] == b"]":
                    self.pos += 1
                    return items
                items.append(self.value())
        if c in (b"]", b">", b")", b"{", b"}"):
            self.pos += 1
            return c
        word = self.word()
        if re.fullmatch(rb"[+-]?(\d+\.?\d*|\.\d+)", word):
            return float(word) if b"." in word else int(word)
        return word

    def value(self) -> Any:
        """An object, with ``n g R`` read as a reference."""
        first = self.token()
        if isinstance(first, int):
            mark = self.pos
            second = self.token()
            if isinstance(second, int):
                if self.token() == b"R":
                    return Ref(first)
            self.pos = mark
        if first == b"true":
            return True
        if first == b"false":
            return False
        if first == b"null":
            return None
        return first

    def dictionary(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while True:
            self.skip()
            if self.data.startswith(b">>", self.pos):
                self.pos += 2
                return result
            key = self.token()
            if not isinstance(key, Name):
                raise ValueError(f"a dictionary key at {self.pos} is {key!r}")
            result[key.value] = self.value()

    def literal(self) -> String:
        data, out, depth = self.data, bytearray(), 0
        self.pos += 1
        escapes = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
        while self.pos < len(data):
            c = data[self.pos]
            self.pos += 1
            if c == 0x5C:  # backslash
                e = data[self.pos]
                self.pos += 1
                if e in escapes:
                    out.append(escapes[e])
                elif 0x30 <= e <= 0x37:
                    digits = bytes([e])
                    while len(digits) < 3 and 0x30 <= data[self.pos] <= 0x37:
                        digits += data[self.pos:self.pos + 1]
                        self.pos += 1
                    out.append(int(digits, 8) & 0xFF)
                elif e in b"\r\n":
                    if e == 0x0D and data[self.pos:self.pos + 1] == b"\n":
                        self.pos += 1
                else:
                    out.append(e)
            elif c == 0x28:
                depth += 1
                out.append(c)
            elif c == 0x29:
                if depth == 0:
                    return String(out)
                depth -= 1
                out.append(c)
            else:
                out.append(c)
        return String(out)


@dataclass
class _Document:
    objects: dict[int, Any] = field(default_factory=dict)
    trailer: dict[str, Any] = field(default_factory=dict)

    def get(self, value: Any) -> Any:
        while isinstance(value, Ref):
            value = self.objects.get(value.number)
        return value


def _read(data: bytes) -> _Document:
    doc = _Document()
    pos = 0
    while True:
        match = _OBJ.search(data, pos)
        if match is None:
            break
        parser = _Parser(data, match.end())
        obj = parser.value()
        parser.skip()
        if isinstance(obj, dict) and data.startswith(b"stream", parser.pos):
            start = parser.pos + len(b"stream")
            start += 2 if data.startswith(b"\r\n", start) else 1
            length = obj.get("Length")
            if isinstance(length, int) and data.startswith(b"endstream", _after_eol(
                    data, start + length)):
                end = start + length
            else:
                end = data.index(b"endstream", start)
            obj = Stream(obj, data[start:end])
            pos = end
        else:
            pos = parser.pos
        doc.objects[int(match.group(1))] = obj
    for match in re.finditer(rb"trailer\s*<<", data):
        parser = _Parser(data, match.end())
        doc.trailer.update(parser.dictionary())
    return doc


def _after_eol(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in b"\r\n":
        pos += 1
    return pos


def _decoded(doc: _Document, stream: Stream) -> bytes:
    filters = doc.get(stream.meta.get("Filter"))
    filters = filters if isinstance(filters, list) else [filters] if filters else []
    raw = stream.raw
    for f in filters:
        name = doc.get(f)
        if isinstance(name, Name) and name.value in ("FlateDecode", "Fl"):
            raw = zlib.decompress(raw)
        elif isinstance(name, Name) and name.value in ("ASCII85Decode", "A85"):
            text = re.sub(rb"\s", b"", raw).removeprefix(b"<~")
            raw = base64.a85decode(text[:text.index(b"~>")] if b"~>" in text else text)
        else:
            return b""
    return raw


@dataclass
class _Font:
    width: int = 1
    codes: dict[bytes, str] = field(default_factory=dict)

    def decode(self, text: bytes) -> str:
        if not self.codes:
            return text.decode("latin-1")
        return "".join(self.codes.get(text[i:i + self.width], "\ufffd")
                       for i in range(0, len(text), self.width))


def _hex(token: bytes) -> bytes:
    return bytes.fromhex(token.decode("ascii"))


def _cmap(text: bytes, default_width: int) -> _Font:
    font = _Font(width=default_width)
    space = re.search(rb"begincodespacerange\s*<([0-9A-Fa-f]+)>", text)
    if space:
        font.width = len(space.group(1)) // 2
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            font.codes[_hex(src)] = _hex(dst).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block):
            start, stop, width = int(lo, 16), int(hi, 16), len(lo) // 2
            if dst.startswith(b"["):
                targets = [_hex(t) for t in re.findall(rb"<([0-9A-Fa-f]*)>", dst)]
                for offset, target in enumerate(targets):
                    font.codes[(start + offset).to_bytes(width, "big")] = \
                        target.decode("utf-16-be", "replace")
            else:
                base = _hex(dst[1:-1])
                for offset in range(stop - start + 1):
                    value = (int.from_bytes(base, "big") + offset).to_bytes(len(base), "big")
                    font.codes[(start + offset).to_bytes(width, "big")] = \
                        value.decode("utf-16-be", "replace")
    return font


def _fonts(doc: _Document, resources: dict[str, Any]) -> dict[str, _Font]:
    fonts: dict[str, _Font] = {}
    for name, ref in (doc.get(resources.get("Font")) or {}).items():
        font = doc.get(ref) or {}
        width = 2 if doc.get(font.get("Subtype")) == Name("Type0") else 1
        cmap = doc.get(font.get("ToUnicode"))
        fonts[name] = _cmap(_decoded(doc, cmap), width) if isinstance(cmap, Stream) \
            else _Font(width=width)
    return fonts


def _content_text(doc: _Document, content: bytes, resources: dict[str, Any],
                  depth: int = 0) -> str:
    fonts = _fonts(doc, resources)
    xobjects = doc.get(resources.get("XObject")) or {}
    parser = _Parser(content)
    operands: list[Any] = []
    out: list[str] = []
    font = _Font()
    while True:
        try:
            token = parser.token()
        except (ValueError, IndexError):
            break
        if token is None:
            break
        if not isinstance(token, bytes) or isinstance(token, String) or \
                token in (b"]", b">", b")", b"{", b"}"):
            operands.append(token)
            continue
        op = token
        if op == b"Tf" and len(operands) >= 2 and isinstance(operands[-2], Name):
            font = fonts.get(operands[-2].value, _Font())
        elif op in (b"Tj", b"'", b'"') and operands and isinstance(operands[-1], String):
            out.append(font.decode(operands[-1]))
        elif op == b"TJ" and operands and isinstance(operands[-1], list):
            out.append("".join(font.decode(part) for part in operands[-1]
                               if isinstance(part, String)))
        elif op in (b"ET", b"T*", b"Td", b"TD"):
            out.append("\n")
        elif op == b"Do" and operands and isinstance(operands[-1], Name) and depth < 5:
            form = doc.get(xobjects.get(operands[-1].value))
            if isinstance(form, Stream) and doc.get(form.meta.get("Subtype")) == Name("Form"):
                inner = doc.get(form.meta.get("Resources")) or resources
                out.append(_content_text(doc, _decoded(doc, form), inner, depth + 1))
        elif op == b"ID":  # an inline image: skip its data
            end = re.compile(rb"\sEI\b").search(content, parser.pos)
            parser.pos = len(content) if end is None else end.end()
        operands = []
    return "".join(out)


def _pages(doc: _Document, node: Any, inherited: dict[str, Any]) -> list[tuple[dict, dict]]:
    node = doc.get(node) or {}
    resources = doc.get(node.get("Resources")) or inherited
    if doc.get(node.get("Type")) == Name("Page") or "Kids" not in node:
        return [(node, resources)]
    pages: list[tuple[dict, dict]] = []
    for kid in doc.get(node.get("Kids")) or []:
        pages += _pages(doc, kid, resources)
    return pages


def pdf_pages_text(data: bytes) -> list[str]:
    """The text of each page, in page order."""
    doc = _read(data)
    root = doc.get(doc.trailer.get("Root")) or {}
    texts = []
    for page, resources in _pages(doc, root.get("Pages"), {}):
        contents = doc.get(page.get("Contents"))
        streams = contents if isinstance(contents, list) else [contents]
        content = b"\n".join(_decoded(doc, s) for s in (doc.get(c) for c in streams)
                             if isinstance(s, Stream))
        texts.append(_content_text(doc, content, resources))
    return texts


def pdf_text(data: bytes) -> str:
    """The text of the whole document, pages one after the other."""
    return "\n".join(pdf_pages_text(data))


#: Characters a font's ``ToUnicode`` names for a glyph it shares with the character meant,
#: as seen in Chromium's PDFs set in Noto Sans CJK SC (which names the lowest code point
#: of a shared glyph): radicals NFKC leaves alone (⻚ U+2EDA for 页, ⺠ U+2EA0 for 民) and
#: a traditional twin (戶 U+6236 for 户).
_SAME_GLYPH = str.maketrans({"⻚": "页", "⺠": "民", "戶": "户"})


def squeeze(text: str) -> str:
    """``text`` in NFKC without white space, to compare with what a PDF holds: a PDF
    places words and cells, it need not write the spaces between them, and a font's
    ``ToUnicode`` may name a compatibility character (Chromium's Noto CJK maps 人 to the
    Kangxi radical ⼈, U+2F08) or another character drawn with the same glyph
    (:data:`_SAME_GLYPH`). Compare squeezed text with squeezed text."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).translate(_SAME_GLYPH)
