"""Bytes of a fetched page to text, or a clear reason why not.

Order of evidence, most trusted first: a byte-order mark, the charset the
HTTP headers declared, the charset the page declares in a `<meta>` tag,
strict UTF-8, and finally statistical detection (charset-normalizer), which
is what rescues windows-1251 or Shift_JIS pages that declare nothing.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.IGNORECASE)
_HTML_MARKUP = re.compile(r"<\s*(!doctype|html|head|body|p|div|article|title|meta|span|section|main)\b", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_SNIFF_BYTES = 64 * 1024


class DecodeError(Exception):
    """A page that cannot become text; `reason` is the reject code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def decode_page(body: bytes | str, declared_charset: str | None = None) -> str:
    """The page as text, checked to look like HTML."""
    text = body if isinstance(body, str) else _decode_bytes(body, declared_charset)
    if not text.strip():
        raise DecodeError("empty_page", "the page holds no characters")
    if "\x00" in text[:_SNIFF_BYTES]:
        raise DecodeError("binary_content", "NUL characters in the page: binary data, not HTML")
    if not _HTML_MARKUP.search(text[:_SNIFF_BYTES]):
        raise DecodeError("not_html", "no HTML markup in the first 64 KiB")
    return text


def _decode_bytes(data: bytes, declared_charset: str | None) -> str:
    if not data.strip():
        raise DecodeError("empty_page", "the page holds no bytes")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace").lstrip("\ufeff")
    head = data[:_SNIFF_BYTES]
    if data[:2] == b"\x1f\x8b":
        raise DecodeError("binary_content", "the page is still gzip-compressed")
    if _looks_binary(head):
        raise DecodeError("binary_content", "control bytes in the page: binary data, not HTML")
    meta = _META_CHARSET.search(head)
    for candidate in (declared_charset, meta.group(1).decode("ascii", "ignore") if meta else None, "utf-8"):
        text = _strict_decode(data, candidate)
        if text is not None:
            return text
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise DecodeError("undecodable", "no character encoding fits the bytes")
    return str(best)


def _strict_decode(data: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return data.decode(_normalise_encoding(encoding))
    except (LookupError, UnicodeDecodeError):
        return None


def _normalise_encoding(name: str) -> str:
    """Browsers read the Latin-1 label as windows-1252; so do we."""
    name = name.strip().lower()
    return "cp1252" if name in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"} else name


def _looks_binary(head: bytes) -> bool:
    """NUL bytes, or many C0 control bytes, never occur in real HTML."""
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) * 0.01
