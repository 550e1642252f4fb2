"""Unit tests of tasks.decoding.decode_page: page bytes to text, or the reason why not."""

from __future__ import annotations

import codecs
import gzip
import random

import pytest

from tasks.decoding import DecodeError, decode_page
from tasks.demo_corpus import PAGES

RUSSIAN = "<html><head><title>Новости</title></head><body><p>Завод запустил новую линию сборки.</p></body></html>"
GERMAN = "<html><head><title>Grüße</title></head><body><p>Straße, Öl und Übermaß — „Anführung“.</p></body></html>"
SMART_QUOTES = "<html><body><p>“Smart quotes” in a café, priced at €5 — really.</p></body></html>"


def with_meta(meta: str, body: str) -> str:
    return f"<html><head>{meta}<title>t</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize("page, encoding", [
    ("novosti-zavod.cp1251.html", "cp1251"),
    ("tokyo-shinbun.sjis.html", "cp932"),
], ids=["windows-1251", "shift_jis"])
def test_undeclared_legacy_encoding_is_detected(page, encoding):
    data = (PAGES / page).read_bytes()
    assert b"charset" not in data.lower()  # nothing declares the encoding: detection has to find it

    assert decode_page(data) == data.decode(encoding)


@pytest.mark.parametrize("data, declared, expected", [
    (RUSSIAN.encode("koi8_r"), "koi8-r", RUSSIAN),
    (RUSSIAN.encode("cp1251"), "windows-1251", RUSSIAN),
    (RUSSIAN.encode("cp1251"), " Windows-1251 ", RUSSIAN),
    (GERMAN.encode("utf-8"), "utf-8", GERMAN),
    # Browsers read the Latin-1 label as windows-1252, which has the curly quotes and the euro sign.
    (SMART_QUOTES.encode("cp1252"), "iso-8859-1", SMART_QUOTES),
    # A declared charset that decodes the bytes wins over UTF-8, even when the bytes are valid UTF-8 too.
    (GERMAN.encode("utf-8"), "latin-1", GERMAN.encode("utf-8").decode("cp1252")),
    # The HTTP header is trusted over the page's own <meta>.
    (with_meta('<meta charset="windows-1251">', "Привет").encode("koi8_r"), "koi8-r",
     with_meta('<meta charset="windows-1251">', "Привет")),
    # A label Python does not know is ignored, not fatal.
    (GERMAN.encode("utf-8"), "x-no-such-charset", GERMAN),
], ids=["koi8-r", "windows-1251", "label-with-spaces", "utf-8", "latin1-as-cp1252", "declared-beats-utf8",
        "header-beats-meta", "unknown-label"])
def test_declared_charset_is_honoured(data, declared, expected):
    assert decode_page(data, declared) == expected


@pytest.mark.parametrize("meta, encoding", [
    ('<meta charset="koi8-r">', "koi8_r"),
    ("<meta charset=windows-1251>", "cp1251"),
    ('<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R">', "koi8_r"),
    ('<META HTTP-EQUIV="content-type" CONTENT="text/html;charset=iso-8859-5">', "iso8859_5"),
], ids=["meta-charset", "unquoted", "http-equiv", "upper-case-iso-8859-5"])
def test_meta_charset_is_honoured(meta, encoding):
    text = with_meta(meta, "Съешь же ещё этих мягких французских булок")

    assert decode_page(text.encode(encoding)) == text


@pytest.mark.parametrize("data, declared, expected", [
    (codecs.BOM_UTF8 + GERMAN.encode("utf-8"), None, GERMAN),
    (codecs.BOM_UTF8 + GERMAN.encode("utf-8"), "windows-1251", GERMAN),  # the BOM outranks the header
    (codecs.BOM_UTF16_LE + RUSSIAN.encode("utf-16-le"), None, RUSSIAN),
    (codecs.BOM_UTF16_BE + RUSSIAN.encode("utf-16-be"), None, RUSSIAN),
], ids=["utf-8", "utf-8-over-declared", "utf-16-le", "utf-16-be"])
def test_byte_order_mark_decides_and_is_dropped(data, declared, expected):
    assert decode_page(data, declared) == expected


def test_text_body_passes_through_unchanged():
    assert decode_page(GERMAN, "windows-1251") == GERMAN


@pytest.mark.parametrize("body, reason", [
    (random.Random(7).randbytes(4096), "binary_content"),
    (gzip.compress(GERMAN.encode("utf-8")), "binary_content"),
    (b"<html><body>" + bytes(range(1, 9)) * 20 + b"</body></html>", "binary_content"),
    ("<html><body>\x00\x00</body></html>", "binary_content"),
    (b"", "empty_page"),
    (b"  \r\n\t \n", "empty_page"),
    ("", "empty_page"),
    ("   \n", "empty_page"),
    (b"Just a line of plain text.\nAnd another one, with no markup at all.\n", "not_html"),
    ("Plain text in a string, < not a tag > either.", "not_html"),
], ids=["random-bytes", "gzip", "control-bytes", "nul-in-text", "empty-bytes", "whitespace-bytes", "empty-text",
        "whitespace-text", "plain-bytes", "plain-text"])
def test_undecodable_pages_raise_decode_error_with_reason(body, reason):
    with pytest.raises(DecodeError) as caught:
        decode_page(body)

    assert caught.value.reason == reason
    assert str(caught.value)  # a human-readable detail comes along
