import pytest

pytestmark = pytest.mark.browser


def test_home_page_renders_in_kazakh_without_outside_requests(live_server, page):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("header.site").is_visible()
