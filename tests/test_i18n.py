"""The translations: complete, faithful to each string's {fields}, and used where shown."""

import gettext
import re

import pytest

from gat_viz import catalogues, i18n
from gat_viz.i18n import _, class_name


@pytest.fixture
def zh():
    i18n.use("zh")
    yield
    i18n.use("en")


def test_every_string_in_the_code_has_a_chinese_translation():
    problems = catalogues.check()
    listed = "\n".join(f"{p.language}: {p.reason}: {p.message[:70]!r}" for p in problems[:30])
    hint = "python -m gat_viz i18n update, then translate"
    assert not problems, f"{len(problems)} strings lack a translation ({hint}):\n{listed}"


def test_the_check_finds_a_missing_translation(tmp_path, monkeypatch):
    # The check above cannot pass by looking at nothing: a new string in the code is reported.
    source = tmp_path / "pkg"
    source.mkdir()
    (source / "m.py").write_text('from gat_viz.i18n import _\nprint(_("A sentence nobody translated."))\n')
    monkeypatch.setattr(catalogues, "PACKAGE", source)
    problems = catalogues.check()
    assert [p.message for p in problems] == ["A sentence nobody translated."]


def test_the_catalogue_is_extracted_from_the_code():
    messages = {m.id for m in catalogues.extract() if m.id}
    assert "GAT Attention Explorer" in messages and len(messages) > 100
    assert "Neural_Networks" in messages  # class names are marked too


def test_chinese_is_used_and_english_is_the_source(zh):
    assert _("GAT Attention Explorer") != "GAT Attention Explorer"
    assert re.search(r"[\u4e00-\u9fff]", _("GAT Attention Explorer"))
    assert class_name("Neural_Networks") == _("Neural_Networks") and "_" not in class_name("Neural_Networks")
    i18n.use("en")
    assert _("GAT Attention Explorer") == "GAT Attention Explorer"
    assert class_name("Neural_Networks") == "Neural Networks"


def test_language_choice():
    assert i18n.preferred("zh-CN") == "zh" and i18n.preferred("zh_TW") == "zh"
    assert i18n.preferred("en-GB") == "en" and i18n.preferred("fr") == "en" and i18n.preferred(None) == "en"
    i18n.use("xx")
    assert i18n.current() == "en"


def test_the_compiled_catalogue_is_a_real_gettext_catalogue():
    assert isinstance(i18n.catalogue("zh"), gettext.GNUTranslations)
    assert isinstance(i18n.catalogue("xx"), gettext.NullTranslations)


@pytest.mark.parametrize("name", ["GAT", "GATv2", "PyG", "ReLU", "LeakyReLU", "PReLU", "Cora", "CiteSeer"])
def test_names_stay_as_they_are(name):
    """The names GAT, GATv2, PyG, ReLU, LeakyReLU, PReLU stay in Latin letters in every
    translation of a string that holds them."""
    i18n.use("zh")
    try:
        for message in catalogues.extract():
            if message.id and re.search(rf"\b{re.escape(name)}\b", message.id):
                assert name in _(message.id), (message.id, _(message.id))
    finally:
        i18n.use("en")


def test_the_command_line_checks_the_catalogue():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "gat_viz", "i18n", "check"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "every string is translated" in done.stdout


def test_using_restores_the_language():
    with i18n.using("zh"):
        assert i18n.current() == "zh"
    assert i18n.current() == "en"
