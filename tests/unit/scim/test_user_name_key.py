"""``user_name_key``: the key userNames are unique, filtered and matched by."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from livepreso_scim_addon.scim.text import user_name_key

NFC = "caf\u00e9@example.com"
NFD = "cafe\u0301@example.com"

#: (a, b): one userName
SAME = {
    "NFC and NFD": (NFC, NFD),
    "NFD upper and NFC": ("CAFE\u0301@EXAMPLE.COM", NFC),
    "ASCII case": ("Jane.Doe@Example.COM", "jane.doe@example.com"),
    "ß and ss": ("stra\u00dfe@example.com", "STRASSE@example.com"),
    "capital ẞ and ss": ("STRA\u1e9eE", "strasse"),
    "ß with a mark folds, then composes": ("\u00df\u0301", "s\u015b"),  # casefold-then-NFC only would miss it
    "Greek final sigma": ("\u03c3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2", "\u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3"),
    "ypogegrammeni, in either mark order": ("\u1f80\u0301", "\u03b1\u0313\u0301\u0345"),  # NFC-then-casefold would miss it
    "ligature": ("o\ufb03ce", "OFFICE"),
    "Turkish capital İ is i with a dot above": ("\u0130stanbul", "i\u0307stanbul"),
    "Kelvin sign": ("\u212a", "k"),
}

#: (a, b): two userNames
APART = {
    "é and e": (NFC, "cafe@example.com"),
    "dotless ı and i (no Turkish tailoring)": ("\u0131stanbul", "istanbul"),
    "İ and I": ("\u0130stanbul", "Istanbul"),
    "fullwidth (no compatibility folding)": ("\uff41", "a"),
}


@pytest.mark.parametrize("a, b", SAME.values(), ids=SAME.keys())
def test_one_user_name(a, b):
    assert user_name_key(a) == user_name_key(b)


@pytest.mark.parametrize("a, b", APART.values(), ids=APART.keys())
def test_two_user_names(a, b):
    assert user_name_key(a) != user_name_key(b)


def test_the_key_is_nfc_and_reads_like_the_name():
    assert user_name_key(NFD) == NFC
    assert user_name_key("Stra\u00dfe") == "strasse"
    assert user_name_key("\u0130") == "i\u0307"  # as str.lower does


def test_every_character_keys_to_an_nfc_fixed_point():
    """NFC output, and idempotent: the stored key of a key is itself (every code point)."""
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        key = user_name_key(chr(code))
        assert unicodedata.is_normalized("NFC", key) and user_name_key(key) == key, hex(code)
