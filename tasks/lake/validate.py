"""Check document rows against the declared schema and the lake's rules.

Runs on every batch before anything is written. A row that fails becomes a
reject naming the first check it failed; nothing is dropped or repaired on
the quiet. A field's plausibility (a placeholder date, a date as an author) is
not checked here: extraction judges each field and falls back to its next
source (tasks.extraction.plausibility), so one implausible field never costs a page. The checks read the declared schema, so a new column is checked
for type and nullability without touching this module.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import pyarrow as pa

from schemas import DOCUMENTS

# Codes of ISO 639-1 (two letters), the only language values the lake accepts.
ISO_639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz "
    "ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik "
    "io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml "
    "mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd "
    "se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi "
    "vo wa wo xh yi yo za zh zu".split()
)

_INT_RANGES = {pa.int16(): 2**15, pa.int32(): 2**31, pa.int64(): 2**63}


def check_document(row: dict, now: datetime, schema: pa.Schema = DOCUMENTS) -> str | None:
    """The reason code of the first failed check, or None when the row is valid.

    `now` is no longer read (publication times are judged in extraction); it stays in the signature
    for the batch code that calls this."""
    for field in schema:
        value = row.get(field.name)
        if value is None:
            if not field.nullable:
                return f"missing_{field.name}"
        elif not _has_type(value, field.type):
            return f"wrong_type_{field.name}"
    scheme_host = urlsplit(row["url"])
    if scheme_host.scheme not in ("http", "https") or not scheme_host.hostname:
        return "invalid_url"
    if row["language"] is not None and row["language"] not in ISO_639_1:
        return "invalid_language"
    if not row["text"].strip():
        return "empty_text"
    return None


def _has_type(value, type_: pa.DataType) -> bool:
    if pa.types.is_string(type_):
        return isinstance(value, str)
    if pa.types.is_integer(type_):
        bound = _INT_RANGES.get(type_, 2**63)
        return isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound
    if pa.types.is_timestamp(type_):
        return isinstance(value, datetime) and value.tzinfo is not None
    if pa.types.is_list(type_):
        return isinstance(value, list) and all(v is not None and _has_type(v, type_.value_type) for v in value)
    if pa.types.is_boolean(type_):
        return isinstance(value, bool)
    if pa.types.is_binary(type_):
        return isinstance(value, bytes)
    if pa.types.is_struct(type_):
        return isinstance(value, dict) and set(value) <= {f.name for f in type_} and all(
            (value.get(f.name) is None and f.nullable) or (value.get(f.name) is not None
                                                            and _has_type(value[f.name], f.type)) for f in type_)
    return False  # a type this validator does not know yet must be taught, not waved through
