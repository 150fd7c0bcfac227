"""The web pages' catalogues (gateway/translations): every string the pages show is in each
catalogue, translated in Arabic and Kurdish (Sorani), with the same placeholders, and each
committed .mo is the compilation of its .po (`make translations` rebuilds both)."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "gateway" / "translations"
LANGUAGES = ("en", "ar", "ckb")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_messages() -> set[str]:
    with open(ROOT / "gateway" / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "gettext": None, "_l": None,
                                                          "lazy_gettext": None, "ngettext": (1, 2)}):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def sources():
    return _source_messages()


def _po(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_of_the_pages_is_in_the_catalogue(sources, lang):
    catalogue = {m.id for m in _po(lang) if m.id}
    assert sources - catalogue == set(), "run `make translations`"
    assert len(sources) > 300


@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_arabic_and_kurdish_are_translated_with_the_same_placeholders(lang):
    catalogue = _po(lang)
    assert not catalogue.fuzzy
    for message in catalogue:
        if not message.id:
            continue
        assert message.string, f"{lang}: {message.id!r} is not translated"
        assert "fuzzy" not in message.flags, f"{lang}: {message.id!r} is fuzzy"
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), \
            f"{lang}: placeholders differ in {message.id!r}"
        assert re.search(r"[\u0600-\u06FF]", message.string) or not re.search(r"[A-Za-z]{4}", message.id
                                                                                .replace("Asia/Baghdad", "")), \
            f"{lang}: {message.id!r} reads as not translated"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_committed_mo_is_the_compiled_po(lang):
    po = {m.id: m.string for m in _po(lang) if m.id and m.string}
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        mo = {m.id: m.string for m in read_mo(fh) if m.id}
    assert mo == po, "run `make translations` (pybabel compile)"


def test_sorani_uses_sorani_letters():
    """Kurdish (Sorani) is not Arabic: its own letters (ە ێ ۆ ڕ ڵ) appear throughout."""
    strings = [m.string for m in _po("ckb") if m.id]
    assert sum(bool(re.search("[ەێۆڕڵ]", s)) for s in strings) > len(strings) * 0.6
