"""Bytes of a fetched page to text as a browser reads them, or a clear reason why not.

Order of evidence, most trusted first:
1. a byte-order mark (UTF-8, UTF-16);
2. UTF-8 that fits: when nearly every non-ASCII sequence of the page is valid UTF-8, the page is
   UTF-8 whatever its label says (servers label UTF-8 pages "iso-8859-1" by default), and a few stray
   bytes cost one U+FFFD each, not the page;
3. the charset the HTTP headers declare, then the one the page's `<meta>` declares, mapped the WHATWG
   way (the Encoding Standard, which browsers follow; `webencodings` holds its label table): gb2312 is
   read as GBK, iso-8859-1 as windows-1252, shift_jis as windows-31j. Where the browsers' decoder is a
   superset of Python's codec of that name, the superset is used (GBK -> gb18030);
4. statistical detection (charset-normalizer) over the page's non-ASCII lines only, so that 38 KB of
   ASCII CSS before the text do not decide the encoding.

A declared UTF-16 page without a byte-order mark is decoded before any check for binary content (its
ASCII characters hold a NUL byte each). A page that no encoding turns into text is `undecodable`.

A text that arrives decoded as ISO-8859-1 by a crawler that stored text, not bytes, is read again as a
browser would have read its bytes (`undo_latin1`): UTF-8 when they were UTF-8, else its C1 control
characters (U+0080-U+009F) as the windows-1252 punctuation of those bytes.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
import webencodings
from ftfy.fixes import fix_c1_controls

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.IGNORECASE)
_HTML_MARKUP = re.compile(r"<\s*(!doctype|html|head|body|p|div|article|title|meta|span|section|main)\b", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_SNIFF_BYTES = 64 * 1024
# Browsers' decoders that are supersets of the Python codec webencodings maps the WHATWG name to: the
# Encoding Standard decodes every GBK label with its gb18030 decoder.
_BROWSER_CODECS = {"gbk": "gb18030"}
# A <meta> cannot declare UTF-16: a page whose <meta> can be read as ASCII is not UTF-16 (Encoding
# Standard, "prescan a byte stream"), so browsers read such a label as UTF-8.
_META_UTF16 = {"utf-16le", "utf-16be"}
# UTF-8 fits when its valid multi-byte characters outnumber its invalid bytes this many times (a stray
# byte in a UTF-8 page; text in a legacy encoding is mostly invalid UTF-8: two bytes of windows-1252 text
# are valid UTF-8 only as an accented capital followed by a symbol such as "«"), or when the page
# declares UTF-8 and holds at most this many invalid bytes.
UTF8_VALID_PER_INVALID = 3
UTF8_DECLARED_STRAY = 3
# A declared legacy encoding fits when its invalid bytes are at most this share of the non-ASCII text.
LEGACY_INVALID_SHARE = 100
_NOT_ASCII = re.compile(rb"[\x80-\xff]")
_C1_CONTROLS = re.compile("[\x80-\x9f]")


class DecodeError(Exception):
    """A page that cannot become text; `reason` is the reject code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def decode_page(body: bytes | str, declared_charset: str | None = None) -> str:
    """The page as text, checked to look like HTML.

    Raises DecodeError with reason empty_page, binary_content, not_html or undecodable.
    """
    text = body if isinstance(body, str) else _decode_bytes(body, declared_charset)
    if not text.strip():
        raise DecodeError("empty_page", "the page holds no characters")
    if "\x00" in text[:_SNIFF_BYTES]:
        raise DecodeError("binary_content", "NUL characters in the page: binary data, not HTML")
    if not _HTML_MARKUP.search(text[:_SNIFF_BYTES]):
        raise DecodeError("not_html", "no HTML markup in the first 64 KiB")
    return text


def undo_latin1(text: str) -> tuple[str, str | None]:
    """A text that was decoded as ISO-8859-1 before it reached Pagefold, read as a browser reads its bytes, and
    what was done (for `field_issues`), or the text unchanged and None.

    - UTF-8 read as ISO-8859-1 ("Earthâ\\x80\\x99s"): every character is one byte and the bytes are UTF-8 with
      characters of several bytes; the text is decoded again as UTF-8 ("Earth’s").
    - Windows-1252 read as ISO-8859-1: its quotes, dashes and euro sign are C1 control characters, which never
      belong to a page's text; ISO-8859-1 is a label browsers read as windows-1252 (WHATWG Encoding Standard),
      and ftfy's `fix_c1_controls` maps them ("\\x92" -> "’"; the five bytes windows-1252 leaves undefined stay).
    """
    if text.isascii():
        return text, None
    if max(text) <= "\xff":
        data = text.encode("latin-1")
        try:
            utf8 = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return utf8, "UTF-8 that had been decoded as ISO-8859-1, decoded as UTF-8"
    found = len(_C1_CONTROLS.findall(text))
    if not found:
        return text, None
    return fix_c1_controls(text), (f"{found} C1 control characters read as windows-1252 punctuation (the page had "
                                   "been decoded as ISO-8859-1, which browsers read as windows-1252)")


def browser_codec(label: str | None, in_meta: bool = False) -> str | None:
    """The Python codec that decodes what a browser decodes for an encoding label, or None when the
    label names no encoding a page can be read with (unknown, `replacement`, `x-user-defined`).

    "gb2312" -> "gb18030", "ISO-8859-1" -> "cp1252", "shift_jis" -> "cp932", "latin1" -> "cp1252";
    "utf-16le" -> "utf-16-le", but "utf-8" when the label was read from a <meta>.
    """
    encoding = webencodings.lookup(label) if label else None
    if encoding is None or encoding.name in ("replacement", "x-user-defined"):
        return None
    if in_meta and encoding.name in _META_UTF16:
        return "utf-8"
    return _BROWSER_CODECS.get(encoding.name, encoding.codec_info.name)


def _decode_bytes(data: bytes, declared_charset: str | None) -> str:
    if not data.strip():
        raise DecodeError("empty_page", "the page holds no bytes")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    if data[:2] == b"\x1f\x8b":
        raise DecodeError("binary_content", "the page is still gzip-compressed")
    header = browser_codec(declared_charset)
    if header in ("utf-16-le", "utf-16-be"):
        text, invalid = _decode_counting(data, header)
        if invalid <= len(text) // LEGACY_INVALID_SHARE:
            return text
    if _looks_binary(data[:_SNIFF_BYTES]):
        raise DecodeError("binary_content", "control bytes in the page: binary data, not HTML")
    meta = _META_CHARSET.search(data[:_SNIFF_BYTES])
    declared = [c for c in (header, browser_codec(meta.group(1).decode("ascii"), in_meta=True) if meta else None) if c]
    text = _utf8_that_fits(data, declared_utf8=bool(declared) and declared[0] == "utf-8")
    if text is not None:
        return text
    for codec in declared:
        if codec != "utf-8":
            text, invalid = _decode_counting(data, codec)
            if invalid <= max(1, _non_ascii_chars(text) // LEGACY_INVALID_SHARE):
                return text
    return _detect(data)


def _utf8_that_fits(data: bytes, declared_utf8: bool) -> str | None:
    """The page decoded as UTF-8 (stray bytes as U+FFFD) when UTF-8 fits its bytes, else None."""
    if not _NOT_ASCII.search(data):
        return data.decode("ascii")
    text, invalid = _decode_counting(data, "utf-8")
    valid = _non_ascii_chars(text) - invalid
    if invalid == 0 or invalid * UTF8_VALID_PER_INVALID <= valid or (declared_utf8 and invalid <= UTF8_DECLARED_STRAY):
        return text
    return None


def _detect(data: bytes) -> str:
    """The page decoded in the encoding charset-normalizer finds in its lines that hold non-ASCII bytes."""
    sample = b"\n".join(line for line in data.split(b"\n") if _NOT_ASCII.search(line))
    best = charset_normalizer.from_bytes(sample).best()
    codec = browser_codec(best.encoding) or best.encoding if best is not None else None
    if codec is None:
        raise DecodeError("undecodable", "no character encoding fits the bytes")
    text, invalid = _decode_counting(data, codec)
    if invalid > max(1, _non_ascii_chars(text) // LEGACY_INVALID_SHARE):
        raise DecodeError("undecodable", f"{invalid} bytes are invalid in {codec}, the encoding that fits best")
    return text


def _decode_counting(data: bytes, codec: str) -> tuple[str, int]:
    """`data` decoded with invalid bytes as U+FFFD, and how many U+FFFD decoding added."""
    text = data.decode(codec, errors="replace")
    present = data.count(b"\xef\xbf\xbd") if codec == "utf-8" else 0  # U+FFFD written in the page itself
    return text, text.count("\ufffd") - present


def _non_ascii_chars(text: str) -> int:
    return len(text) - len(text.encode("ascii", errors="ignore"))


def _looks_binary(head: bytes) -> bool:
    """NUL bytes, or many C0 control bytes, never occur in real HTML."""
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) * 0.01
