"""中文 and English: gettext message catalogues, extracted and compiled with Babel.

Every user-visible string in the app is written in English inside `_()` (or `N_()` where the
string is defined before it is shown, e.g. in a table of options). Babel extracts them into
`gat_viz/locale/messages.pot`; the Chinese catalogue is `gat_viz/locale/zh/LC_MESSAGES/messages.po`
(`python -m gat_viz i18n update` merges new strings into it, `python -m gat_viz i18n check` lists
what lacks a translation). The `.po` is compiled in memory on first use, so there is no binary
`.mo` to forget to rebuild.

A string with values is a template, translated first and filled after:
`_("Node {node} is predicted {label}.").format(node=7, label=_(name))`: a translator can move
`{node}`, and numbers keep their format spec (`{acc:.1%}`).

The language is per script run (a `ContextVar`): each Streamlit session's run, fragment runs
included, calls `use(lang)` first. The core (`gat_viz/*.py`) calls `_()` but never picks the
language.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"

_language: ContextVar[str] = ContextVar("gat_viz_language", default=DEFAULT)


def N_(message: str) -> str:
    """Marks `message` for extraction; translated later, where it is shown, by `_()`."""
    return message


# Class names of the shipped datasets, marked for translation (data.class_names holds these).
CLASS_NAMES = (
    # Cora
    N_("Case_Based"),
    N_("Genetic_Algorithms"),
    N_("Neural_Networks"),
    N_("Probabilistic_Methods"),
    N_("Reinforcement_Learning"),
    N_("Rule_Learning"),
    N_("Theory"),
    # CiteSeer
    N_("Agents"),
    N_("AI"),
    N_("DB"),
    N_("IR"),
    N_("ML"),
    N_("HCI"),
)


def _(message: str) -> str:
    """`message` in the current language (itself in English, or when no translation exists)."""
    language = _language.get()
    if language == DEFAULT or not message:
        return message
    return catalogue(language).gettext(message)


def class_name(name: str) -> str:
    """A dataset's class name as shown: 'Neural_Networks' → 'Neural Networks' / '神经网络'."""
    shown = _(name)
    return shown.replace("_", " ") if shown == name else shown


def use(language: str) -> None:
    """Set the language of this script run (thread/context); unknown codes mean English."""
    _language.set(language if language in LANGUAGES else DEFAULT)


@contextmanager
def using(language: str) -> Iterator[None]:
    """`language` inside the block only (a callback that names a label in the page's language)."""
    token = _language.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _language.reset(token)


def current() -> str:
    return _language.get()


def preferred(locale: str | None) -> str:
    """The app's language for a browser locale such as 'zh-CN' or 'en-GB' (None: English)."""
    code = (locale or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else DEFAULT


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of `language`: the `.po` read and compiled by Babel, in memory.
    Fuzzy entries are not used (as `msgfmt` does)."""
    path = po_path(language)
    if not path.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        po = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, po, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
