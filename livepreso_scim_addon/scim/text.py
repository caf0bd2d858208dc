"""Text a client can send in JSON but no UTF-8 store can hold; the key a userName is
unique and found by.

JSON escapes let a client write a lone UTF-16 surrogate (``"\\ud800"``, RFC 8259 §8.2
calls such strings unpredictable); Python decodes it into a string that cannot be
encoded as UTF-8, so it would fail only when the database driver encodes it.
"""

from __future__ import annotations

import unicodedata

from .errors import invalid_value


def user_name_key(name: str) -> str:
    """The key userNames are unique and compared by: Unicode's canonical caseless match
    (Unicode §3.13 D145, ``NFD(casefold(NFD(x)))``), kept in NFC.

    userName is caseExact false (RFC 7643 §4.1.1), and an IdP treats "café" typed on
    macOS (NFD) and on Windows (NFC), "Straße" and "STRASSE", one person. Neither
    simple order is enough: casefold can leave text unnormalized ("ß\u0301" folds to
    "ss\u0301", which NFC composes to "sś"), so NFC-then-casefold keeps that pair apart;
    and casefold turns the combining ypogegrammeni (U+0345, which canonical ordering
    moves after other marks) into a plain iota, so casefold-then-NFC depends on the
    input's mark order. Hence D145's NFD first and a normalization last; NFC rather than
    NFD because two strings have equal NFC iff they have equal NFD, and the NFC key is
    what IdPs send and reads like the name.
    Folding is full (ß → ss, ﬃ → ffi, final ς → σ) and not Turkish-tailored (İ → i̇,
    ı stays ı); compatibility forms are not unified (fullwidth ａ is not a).
    The function is idempotent; every stored ``scim_users.user_name_ci`` is its value
    (migration scim_0009 holds a frozen copy of it).
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


def has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def storable(text: str) -> bool:
    """Whether a database can hold ``text`` as given: no lone surrogate, and no NUL
    (PostgreSQL's text refuses it). Text that is not can name nothing stored."""
    return "\x00" not in text and not has_lone_surrogate(text)


def _first_lone_surrogate(value, path: str) -> str | None:
    if isinstance(value, str):
        return path if has_lone_surrogate(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if has_lone_surrogate(key):
                return path or "the body"
            found = _first_lone_surrogate(item, f"{path}.{key}" if path else key)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_lone_surrogate(item, f"{path}[{index}]")
            if found:
                return found
    return None


def check_json_text(value, raw: bytes) -> None:
    """400 invalidValue when a decoded JSON document holds a lone surrogate (RFC 8259 §8.2).

    Only an escape can produce one, so a body without ``\\ud`` is not walked.
    """
    if b"\\ud" not in raw.lower():
        return
    where = _first_lone_surrogate(value, "")
    if where is not None:
        raise invalid_value(f"'{where or 'the body'}' holds a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape); send valid Unicode.")

