"""The app's script, run by Streamlit's AppTest (no browser)."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


@pytest.fixture
def app(cora):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    return at.run()


def test_opens_on_cora_with_the_pretrained_model(app):
    assert not app.exception
    assert app.title[0].value == "GAT Attention Explorer"
    metric = app.metric[0]
    assert metric.label.startswith("Test accuracy at best validation")
    assert 80.0 < float(metric.value.rstrip("%")) < 90.0
    assert any("83.0 ± 0.7" in c.value for c in app.caption)


def test_switch_to_citeseer(app, citeseer):
    app.sidebar.selectbox[0].select("CiteSeer").run()
    assert not app.exception
    assert any("3,327 nodes" in m.value for m in app.markdown)
    assert any("72.5 ± 0.7" in c.value for c in app.caption)
