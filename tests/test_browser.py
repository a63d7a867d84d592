"""The app in a real browser: Debian chromium + playwright against a live server."""

import pytest

from tests.browser import wait_for_app
from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def test_app_loads_and_states_the_model(app_server, page, cora):
    page.goto(app_server)
    wait_for_app(page)
    body = page.inner_text("body")
    assert "GAT Attention Explorer" in body
    assert "Test accuracy at best validation" in body and "83.0 ± 0.7" in body
    assert "Traceback" not in body
    assert page.js_errors == []
    page.screenshot(path=str(ROOT / "tests" / "artifacts" / "app.png"), full_page=True)
