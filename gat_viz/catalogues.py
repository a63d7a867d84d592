"""Keeping the message catalogues in step with the code (Babel): extract, update, check.

`python -m gat_viz i18n update` extracts every `_()`/`N_()` string from gat_viz/ into
`locale/messages.pot` and merges it into each language's `.po` (new strings arrive empty, strings
no longer in the code are dropped); `python -m gat_viz i18n check` lists what lacks a translation
and exits 1 when anything does. tests/test_i18n.py runs the same check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gat_viz.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, po_path

PACKAGE = Path(__file__).parent
KEYWORDS = {"_": None, "N_": None}
FIELD = re.compile(r"\{[^{}]*\}")  # a str.format field: {node}, {acc:.1%}


def extract():  # -> babel.messages.catalog.Catalog
    """Every translatable string in the package, with where it occurs."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="gat-viz", domain=DOMAIN, charset="utf-8")
    found = extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(f"gat_viz/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def update() -> dict[str, int]:
    """Write messages.pot and merge it into every translation; returns untranslated counts."""
    from babel.messages.pofile import read_po, write_po

    template = extract()
    LOCALE_DIR.mkdir(exist_ok=True)
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("wb") as f:
        write_po(f, template, width=100, omit_header=True, sort_output=True, include_lineno=False)
    counts = {}
    for language in LANGUAGES:
        if language == "en":
            continue
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as f:
                po = read_po(f, locale=language)
        else:
            from babel.messages.catalog import Catalog

            po = Catalog(locale=language, domain=DOMAIN, charset="utf-8")
        po.update(template, no_fuzzy_matching=True)
        po.obsolete.clear()
        with path.open("wb") as f:
            _write(f, po)
        counts[language] = sum(1 for m in po if m.id and not m.string)
    return counts


@dataclass(frozen=True)
class Problem:
    language: str
    message: str
    reason: str


def check() -> list[Problem]:
    """Strings in the code that a language lacks, or whose translation breaks a `{field}`."""
    from babel.messages.pofile import read_po

    wanted = [m.id for m in extract() if m.id]
    problems = []
    for language in LANGUAGES:
        if language == "en":
            continue
        path = po_path(language)
        if not path.exists():
            problems += [Problem(language, m, "no catalogue") for m in wanted]
            continue
        with path.open("rb") as f:
            po = read_po(f, locale=language)
        for message in wanted:
            entry = po.get(message)
            if entry is None or not entry.string:
                problems.append(Problem(language, message, "not translated"))
            elif entry.fuzzy:
                problems.append(Problem(language, message, "fuzzy"))
            elif sorted(FIELD.findall(message)) != sorted(FIELD.findall(entry.string)):
                problems.append(Problem(language, message, "its {fields} differ in the translation"))
    return problems


def fill(language: str, translations: dict[str, str]) -> int:
    """Write `translations` (msgid → text) into the language's catalogue; returns how many
    entries changed. Unknown msgids are ignored (run `update` first)."""
    from babel.messages.pofile import read_po

    path = po_path(language)
    with path.open("rb") as f:
        po = read_po(f, locale=language)
    changed = 0
    for message in po:
        text = translations.get(message.id) if message.id else None
        if text and text != message.string:
            message.string = text
            message.flags.discard("fuzzy")
            changed += 1
    with path.open("wb") as f:
        _write(f, po)
    return changed


def _write(f, po) -> None:
    from babel.messages.pofile import write_po

    write_po(f, po, width=100, omit_header=True, sort_output=True, ignore_obsolete=True, include_lineno=False)
