"""Internationalisation: every template string is marked for translation, the zh-hans catalogue is
complete, the committed .mo matches the .po, and pages really render in Simplified Chinese."""

import ast
import gettext
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"

# Text that may stay outside {% translate %} because it reads the same in both languages. Keep it
# short: anything a reader would expect in Chinese belongs in the catalogue, not here.
ALLOWED_TEXT = {
    # EN 15804 life-cycle module codes, written the same way in Chinese EPDs.
    "A1-A3",
    "A4",
    "C1",
    "C2",
    "C3",
    "C4",
    "D",
    # Units and the unit of GWP, used as-is in Chinese technical writing.
    "kg",
    "kg CO2e",
    "kg CO2e/kg",
    # Percentile labels under the distribution chart (statistical notation).
    "p10",
    "p25",
    "p50",
    "p75",
    "p90",
    # File format names.
    "CSV",
    "XLSX",
    "PDF",
    # The "v" in front of a declaration's version number ("v2").
    "v",
    # The language switcher names each language in that language itself, so a reader who does not
    # understand the current page can still find their own.
    "English",
}
# Attributes a reader sees or hears (placeholder, tooltip, screen reader); they must be translated too.
VISIBLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}

# Content of translated or non-rendered template constructs is removed before the HTML is parsed.
# blocktranslate bodies go first (they contain {{ }} and {% plural %}), then comments, then any
# remaining tag or variable. Each becomes a separator (plus the line breaks it spanned, so that line
# numbers stay right), and text on either side of it is checked as separate pieces.
_BLOCKTRANSLATE = re.compile(
    r"{%\s*(?:blocktranslate|blocktrans)\b.*?%}.*?{%\s*(?:endblocktranslate|endblocktrans)\s*%}", re.S
)
_COMMENT_BLOCK = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.S)
_COMMENT_TAG = re.compile(r"{#.*?#}", re.S)
_TEMPLATE_SYNTAX = re.compile(r"{%.*?%}|{{.*?}}", re.S)
SEPARATOR = "\x00"
_ASCII_LETTER = re.compile(r"[A-Za-z]")
# Punctuation around an allowed token, e.g. "(" and "kg)" in "({{ mass }} kg)".
_EDGE_PUNCTUATION = " \t\n()[]·,.:;/–—-→%*?&«»"


class _VisibleText(HTMLParser):
    """Collects (line, text) for text nodes and visible attributes, skipping <script> and <style>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip_depth = 0

    def _attributes(self, attrs):
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value:
                for piece in value.split(SEPARATOR):
                    self.found.append((self.getpos()[0], f'{name}="{piece}"'))

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip_depth += 1
        self._attributes(attrs)

    def handle_startendtag(self, tag, attrs):
        self._attributes(attrs)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip_depth:
            self._skip_depth -= 1

    def handle_data(self, data):
        if not self._skip_depth:
            line = self.getpos()[0]
            for offset, text in enumerate(data.split("\n")):
                self.found.extend((line + offset, piece) for piece in text.split(SEPARATOR))


def _is_untranslated(text: str) -> bool:
    if text.startswith(tuple(f"{name}=" for name in VISIBLE_ATTRIBUTES)):
        text = text.split("=", 1)[1].strip('"')
    cleaned = " ".join(text.split()).strip(_EDGE_PUNCTUATION)
    if not _ASCII_LETTER.search(cleaned):
        return False
    return cleaned not in ALLOWED_TEXT


def untranslated_text(source: str) -> list[tuple[int, str]]:
    """(line, text) of every visible text in a template that is not inside a translate tag."""

    def keep_lines(match: re.Match) -> str:
        return SEPARATOR + "\n" * match.group(0).count("\n")

    for pattern in (_BLOCKTRANSLATE, _COMMENT_BLOCK, _COMMENT_TAG, _TEMPLATE_SYNTAX):
        source = pattern.sub(keep_lines, source)
    parser = _VisibleText()
    parser.feed(source)
    parser.close()
    return [(line, " ".join(text.split())) for line, text in parser.found if _is_untranslated(text)]


def test_the_checker_catches_untranslated_text_and_lets_translated_text_through():
    source = (
        '{% load i18n %}<h1>{% translate "Hello" %}</h1><p>Forgotten text</p>'
        '<input placeholder="Search here"><script>var x = "code";</script><!-- a note -->'
        "<td>{{ value }} kg CO2e</td><td>A1-A3</td>"
        "{% blocktranslate count counter=n %}{{ counter }} thing{% plural %}{{ counter }} things"
        "{% endblocktranslate %}"
    )
    assert [text for _, text in untranslated_text(source)] == ["Forgotten text", 'placeholder="Search here"']


def test_every_template_string_is_marked_for_translation():
    templates = sorted(TEMPLATES_DIR.rglob("*.html"))
    assert templates, f"no templates found under {TEMPLATES_DIR}"
    problems = [
        f"{path.relative_to(TEMPLATES_DIR)}:{line}: {text!r}"
        for path in templates
        for line, text in untranslated_text(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "visible text outside {% translate %} / {% blocktranslate %}:\n" + "\n".join(
        problems
    )


# --- the catalogue -------------------------------------------------------------------------------


def _unquote(line: str) -> str:
    """The value of one quoted PO string, with its C escapes resolved."""
    body = line[line.index('"') + 1 : line.rindex('"')]
    return re.sub(
        r"\\(.)", lambda m: {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(m.group(1), m.group(1)), body
    )


def parse_po(path: Path) -> list[dict]:
    """Entries of a PO file as dicts: msgid, msgid_plural, msgstr (index -> text), flags, line.

    Obsolete entries (#~) are left out. Enough of the format for a catalogue makemessages wrote.
    """
    entries: list[dict] = []
    entry: dict | None = None
    key: tuple | None = None

    def start(line_number):
        return {"msgid": None, "msgid_plural": None, "msgstr": {}, "flags": set(), "line": line_number}

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if entry is not None and entry["msgid"] is not None and not line:
                entries.append(entry)
                entry, key = None, None
            continue
        if entry is None:
            entry = start(number)
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt"):
            key = ("msgctxt",)
        elif line.startswith("msgid_plural"):
            entry["msgid_plural"] = _unquote(line)
            key = ("msgid_plural",)
        elif line.startswith("msgid"):
            entry["msgid"] = _unquote(line)
            key = ("msgid",)
        elif line.startswith("msgstr["):
            index = int(line[len("msgstr[") : line.index("]")])
            entry["msgstr"][index] = _unquote(line)
            key = ("msgstr", index)
        elif line.startswith("msgstr"):
            entry["msgstr"][0] = _unquote(line)
            key = ("msgstr", 0)
        elif line.startswith('"') and key is not None:
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += _unquote(line)
            elif key[0] in ("msgid", "msgid_plural"):
                entry[key[0]] += _unquote(line)
    if entry is not None and entry["msgid"] is not None:
        entries.append(entry)
    return entries


_PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-+ #0]*\d*(?:\.\d+)?[a-zA-Z%]")


def _placeholders(text: str) -> set[str]:
    """Python-format placeholders (%(name)s, %(size).1f, %%) of a message."""
    return set(_PLACEHOLDER.findall(text))


def test_the_chinese_catalogue_is_complete():
    entries = parse_po(PO_FILE)
    header = next(entry for entry in entries if entry["msgid"] == "")
    assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"][0]
    messages = [entry for entry in entries if entry["msgid"]]
    assert len(messages) > 100, "the catalogue looks truncated"
    problems = []
    for entry in messages:
        where = f"django.po:{entry['line']}: {entry['msgid']!r}"
        if "fuzzy" in entry["flags"]:
            problems.append(f"{where} is fuzzy")
        if not entry["msgstr"] or any(not text.strip() for text in entry["msgstr"].values()):
            problems.append(f"{where} has an empty translation")
        expected = _placeholders(entry["msgid"] + (entry["msgid_plural"] or ""))
        for text in entry["msgstr"].values():
            if _placeholders(text) != expected:
                problems.append(f"{where} changes its placeholders")
    assert not problems, "\n".join(problems)


_GETTEXT_FUNCTIONS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
_CONTEXT_GETTEXT_FUNCTIONS = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
# The code makemessages reads (it is run with --ignore=.venv --ignore=tests --ignore=build).
PYTHON_PACKAGES = ("carbon_platform", "disclosures", "accounting", "pact", "webhooks")


def python_messages() -> dict[str, str]:
    """msgid -> where, for every gettext call with a literal message in the project's code."""
    found = {}
    for package in PYTHON_PACKAGES:
        for path in sorted((Path(settings.BASE_DIR) / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                position = (
                    0 if name in _GETTEXT_FUNCTIONS else 1 if name in _CONTEXT_GETTEXT_FUNCTIONS else None
                )
                if position is None or len(node.args) <= position:
                    continue
                argument = node.args[position]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str) and argument.value:
                    found[argument.value] = f"{path.relative_to(settings.BASE_DIR)}:{node.lineno}"
    return found


def template_messages() -> dict[str, str]:
    """msgid -> where, for every {% translate %}, {% blocktranslate %} and _("...") in the templates."""
    engine = engines["django"].engine
    found = {}
    for path in sorted(TEMPLATES_DIR.rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        where = str(path.relative_to(TEMPLATES_DIR))
        nodelist = engine.from_string(source).nodelist
        for node in nodelist.get_nodes_by_type(TranslateNode):
            if node.filter_expression.var.literal:
                found[str(node.filter_expression.var.literal)] = where
        for node in nodelist.get_nodes_by_type(BlockTranslateNode):
            found[node.render_token_list(node.singular)[0]] = where
        for literal in re.findall(r"""\b_\((["'])(.+?)\1\)""", source):
            found[literal[1]] = where
    return found


def test_the_catalogue_has_every_message_of_the_templates_and_the_code():
    in_catalogue = {entry["msgid"] for entry in parse_po(PO_FILE)}
    missing = [
        f"{where}: {msgid!r}"
        for msgid, where in sorted({**python_messages(), **template_messages()}.items(), key=lambda i: i[1])
        if msgid not in in_catalogue
    ]
    assert not missing, (
        "not in django.po; run manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests "
        "--ignore=build, translate, then compilemessages:\n" + "\n".join(missing)
    )


def test_the_committed_mo_matches_the_po(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext's msgfmt is not installed; cannot recompile the catalogue to compare")
    assert MO_FILE.exists(), f"{MO_FILE} is missing: run manage.py compilemessages and commit it"
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check-format", "-o", str(fresh), str(PO_FILE)], check=True)
    with MO_FILE.open("rb") as committed_file, fresh.open("rb") as fresh_file:
        committed = gettext.GNUTranslations(committed_file)._catalog
        expected = gettext.GNUTranslations(fresh_file)._catalog
    stale = sorted(str(key) for key in expected.keys() ^ committed.keys())
    changed = sorted(
        str(key) for key in expected.keys() & committed.keys() if expected[key] != committed[key]
    )
    assert not stale and not changed, (
        "django.mo is out of step with django.po; run manage.py compilemessages -l zh_Hans.\n"
        f"missing or extra: {stale[:10]}\ndifferent: {changed[:10]}"
    )


# --- pages in Chinese ----------------------------------------------------------------------------


@pytest.fixture
def chinese(client):
    client.cookies.load({"django_language": "zh-hans"})
    return client


def test_supplier_pages_render_in_chinese(chinese, actors, materials):
    chinese.force_login(actors.supplier_a)

    form = chinese.get("/declarations/new/")
    assert form.status_code == 200
    html = form.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "保存草稿" in html and "新建声明" in html
    assert "Save draft" not in html
    assert "New declaration" not in html
    assert "Log out" not in html and "退出登录" in html

    dashboard = chinese.get("/supplier/")
    assert dashboard.status_code == 200
    html = dashboard.content.decode()
    assert "待您处理" in html and "导入文件" in html
    assert "Needs your action" not in html
    assert "Import a file" not in html


def test_login_page_follows_accept_language(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "登录" in html and "用户名" in html and "密码" in html
    assert "Log in" not in html and "Username" not in html

    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log in" in english and "登录" not in english
