"""Unit tests of tasks.sources.decoding.decode_page: page bytes to text, or the reason why not."""

from __future__ import annotations

import codecs
import gzip
import random

import pytest

from tasks.sources.decoding import DecodeError, decode_page, undo_latin1
from tasks.sources.demo_corpus import PAGES

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
    # Bytes that are valid UTF-8 are UTF-8 whatever the label says: read as windows-1252 they would be mojibake.
    (GERMAN.encode("utf-8"), "latin-1", GERMAN),
    # The HTTP header is trusted over the page's own <meta>.
    (with_meta('<meta charset="windows-1251">', "Привет").encode("koi8_r"), "koi8-r",
     with_meta('<meta charset="windows-1251">', "Привет")),
    # A label Python does not know is ignored, not fatal.
    (GERMAN.encode("utf-8"), "x-no-such-charset", GERMAN),
], ids=["koi8-r", "windows-1251", "label-with-spaces", "utf-8", "latin1-as-cp1252", "utf8-beats-a-mislabel",
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


# --- encodings as browsers read them --------------------------------------------------------------------------------

CHINESE = "<html><head><title>新闻</title></head><body><p>我們的城市建了一座新的图书馆，镕钢厂旧址改成公园。</p></body></html>"
JAPANESE = ("<html><head><title>記事</title></head><body><p>①髙橋さんの店が駅前に開店した。地元の野菜を使った料理が"
            "人気で、初日から多くの客が訪れた。店主は「地域の皆さんに喜んでもらえる店にしたい」と話している。</p></body></html>")
CSS_HEAD = "<style>" + "".join(f".item-{i} {{ margin: {i}px; color: #0{i % 10}a; }}\n" for i in range(1500)) + "</style>"


@pytest.mark.parametrize("label, text, codec", [
    ("gb2312", CHINESE, "gbk"),  # 們 and 镕 are GBK, not GB2312: browsers read every GBK label as GBK (gb18030)
    ("GB_2312-80", CHINESE, "gb18030"),
    ("shift_jis", JAPANESE, "cp932"),  # ① and 髙 exist only in Microsoft's Shift_JIS (windows-31j)
    ("x-sjis", JAPANESE, "cp932"),
], ids=["gb2312-is-gbk", "gb2312-alias", "shift_jis-is-windows-31j", "sjis-alias"])
def test_labels_map_the_whatwg_way(label, text, codec):
    data = text.encode(codec)
    with pytest.raises((UnicodeError, LookupError)):  # Python's codec of that name cannot read it
        data.decode(label)

    assert decode_page(data, label) == text
    assert decode_page(with_meta(f'<meta charset="{label}">', text).encode(codec)) == with_meta(
        f'<meta charset="{label}">', text)


@pytest.mark.parametrize("text, codec", [(CHINESE, "gb18030"), (RUSSIAN, "cp1251"), (JAPANESE, "cp932")],
                         ids=["gbk", "windows-1251", "shift_jis"])
def test_undeclared_page_is_judged_on_its_non_ascii_bytes_not_a_long_ascii_head(text, codec):
    page = text.replace("<head>", "<head>" + CSS_HEAD)
    assert len(CSS_HEAD) > 30_000

    assert decode_page(page.encode(codec)) == page


@pytest.mark.parametrize("declared, meta", [(None, ""), ("utf-8", ""), (None, '<meta charset="utf-8">'),
                                            ("iso-8859-1", "")],
                         ids=["undeclared", "header-utf-8", "meta-utf-8", "mislabelled-latin1"])
def test_a_stray_byte_in_utf8_costs_one_character_not_the_page(declared, meta):
    page = with_meta(meta, "Grüße aus Köln, schöne Grüße aus Düsseldorf und Münster.")
    data = page.encode("utf-8").replace(b"aus D", b"aus \xffD")

    text = decode_page(data, declared)

    assert text == page.replace("aus D", "aus \ufffdD")


def test_an_ascii_page_with_one_stray_byte_declared_utf8_keeps_utf8():
    data = with_meta('<meta charset="utf-8">', "Plain words and one stray byte here: \xff.").encode("latin-1")

    assert decode_page(data).count("\ufffd") == 1


@pytest.mark.parametrize("label, codec", [("utf-16le", "utf-16-le"), ("UTF-16BE", "utf-16-be")])
def test_declared_utf16_without_byte_order_mark_is_decoded_not_binary(label, codec):
    assert decode_page(RUSSIAN.encode(codec), label) == RUSSIAN


def test_a_meta_declaring_utf16_is_read_as_utf8():
    """A <meta> readable as ASCII cannot be in UTF-16: browsers read the label as UTF-8."""
    page = with_meta('<meta charset="utf-16">', "Grüße")

    assert decode_page(page.encode("utf-8")) == page


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO-8859-1", "latin1", "l1", "us-ascii", "ascii"])
def test_latin1_and_ascii_labels_read_as_windows_1252_as_browsers_do(label):
    """WHATWG Encoding Standard: these labels name windows-1252, whose 0x80-0x9F bytes are punctuation."""
    page = with_meta(f'<meta charset="{label}">', "The board’s chairman – “twelve” €12 million")

    assert decode_page(page.encode("cp1252")) == page
    assert decode_page(page.encode("cp1252"), label) == page


def test_c1_controls_in_a_text_read_as_windows_1252():
    """A crawler that decoded windows-1252 bytes as ISO-8859-1 stored C1 control characters in their place."""
    stored = "The board’s chairman – “twelve” €12 million at the café".encode("cp1252").decode("latin-1")
    assert "\x92" in stored and "’" not in stored

    text, done = undo_latin1(stored)

    assert text == "The board’s chairman – “twelve” €12 million at the café"
    assert done.startswith("5 C1 control characters read as windows-1252 punctuation")


def test_utf8_stored_as_latin1_is_decoded_again_as_utf8():
    """A crawler that decoded UTF-8 bytes as ISO-8859-1: "Earth’s" arrives as "Earthâ\\x80\\x99s"."""
    stored = "The Earth’s warmest decade — in Zürich too".encode("utf-8").decode("latin-1")

    assert undo_latin1(stored) == ("The Earth’s warmest decade — in Zürich too",
                                   "UTF-8 that had been decoded as ISO-8859-1, decoded as UTF-8")


@pytest.mark.parametrize("text", ["Plain ASCII text.", "Latin-1 text: café, naïve, Ærø", "Grüße — „Anführung“"])
def test_a_text_decoded_right_stays_as_it_is(text):
    assert undo_latin1(text) == (text, None)
