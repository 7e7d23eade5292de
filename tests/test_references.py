"""references.bib parses with a real BibTeX library and has no duplicate keys."""

from collections import Counter

import pybtex.database
import pytest

from conftest import ROOT

BIB = ROOT / "references.bib"


def test_references_parse():
    entries = pybtex.database.parse_file(str(BIB)).entries
    assert len(entries) > 0


def test_no_duplicate_keys_even_by_case():
    from pybtex.database.input import bibtex
    keys = []

    class Recorder(bibtex.Parser):
        def process_entry(self, entry_type, key, fields):
            keys.append(key.lower())
            # Let duplicates through so that all of them are counted.

    Recorder().parse_file(str(BIB))
    duplicates = [k for k, n in Counter(keys).items() if n > 1]
    assert not duplicates


def test_duplicate_key_is_detected(tmp_path):
    """The check above can fail: pybtex refuses a repeated key."""
    text = BIB.read_text(encoding="utf-8")
    first = text[: text.index("\n}\n") + 3]
    copy = tmp_path / "references.bib"
    copy.write_text(text + "\n" + first.replace("{", "{", 1), encoding="utf-8")
    with pytest.raises(pybtex.database.BibliographyDataError):
        pybtex.database.parse_file(str(copy))
