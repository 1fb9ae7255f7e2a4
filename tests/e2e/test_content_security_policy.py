"""The Content-Security-Policy blocks nothing the pages need: no violation on the app's pages, and the API
docs (Swagger UI, ReDoc) still render."""

from .conftest import log_in


def _violations(page):
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    return [messages]


def _csp_errors(box):
    # ReDoc's sidebar fetches the Redocly logo from its CDN: blocked on purpose, the docs work offline.
    return [text for text in box[0] if "Content Security Policy" in text and "cdn.redoc.ly" not in text]


def test_pages_and_api_docs_run_under_the_policy(page, actors, materials):
    box = _violations(page)
    log_in(page, "carmaker_a")
    for path in ("/vehicle-models/", "/rollup-runs/", "/webhooks/", "/accounts/password_change/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    page.goto("/api/schema/swagger/")
    page.locator(".swagger-ui .info .title").wait_for()
    page.goto("/api/schema/redoc/")
    page.locator("h1").first.wait_for()
    assert "Carbon disclosure platform API" in page.locator("h1").first.inner_text()
    assert _csp_errors(box) == []


def test_the_language_switcher_works_without_inline_script(page, actors):
    log_in(page, "supplier_a")
    with page.expect_navigation():  # the switcher's script submits the form: wait for that page, not this one
        page.select_option("select[name=language]", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_pages_load_everything_they_ask_for_favicon_included(page, actors):
    failed = []
    page.on(
        "response", lambda response: response.status >= 400 and failed.append((response.status, response.url))
    )
    log_in(page, "supplier_a")
    for path in ("/supplier/", "/declarations/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).status == 200
    assert failed == []
