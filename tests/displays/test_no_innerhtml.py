"""No page script parses data as HTML, and no template turns autoescaping off.

Every node built from data (names of sites, fields, counters, procedures, notices) is made
with createElement / createElementNS and filled with textContent or setAttribute. A string
handed to one of the HTML sinks below runs whatever markup it carries (stored XSS: a
centre's field icon once reached the kiosk's innerHTML), so the scripts use none of them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(
    [*ROOT.glob("displays/static/js/*.js"), *ROOT.glob("counters/static/*.js"),
     *ROOT.glob("queue_server/web/static/**/*.js")]
)  # fmt: skip
TEMPLATES = sorted(
    [*ROOT.glob("displays/templates/**/*.html"), *ROOT.glob("counters/templates/*.html"),
     *ROOT.glob("queue_server/web/templates/*.html")]
)  # fmt: skip

# What parses a string as markup or code in a browser.
HTML_SINKS = re.compile(
    r"\.(innerHTML|outerHTML)\b|\binsertAdjacentHTML\b|\bdocument\.write(ln)?\b"
    r"|\bcreateContextualFragment\b|\bsrcdoc\b|\bDOMParser\b|\bparseHTMLUnsafe\b"
    r"|\bsetHTMLUnsafe\b|\beval\s*\(|\bnew\s+Function\b"
)
# Jinja markup that skips autoescaping; the one allowed use is the QR code, an SVG made by
# the qrcode library from the ticket's status link, not from configurable text.
UNESCAPED = re.compile(r"\|\s*safe\b|\bMarkup\b|autoescape\s+false")
ALLOWED_UNESCAPED = {("displays/templates/slip.html", "{{ qr_svg | safe }}")}


def sinks(text: str) -> list[str]:
    """The lines of a script that hand a string to an HTML or code sink."""
    return [line.strip() for line in text.splitlines() if HTML_SINKS.search(line)]


def test_the_scripts_are_found():
    names = {p.name for p in SCRIPTS}
    assert {"kiosk.js", "lobby.js", "live.js", "status.js", "console.js"} <= names, names
    assert any(p.name == "icons.html" for p in TEMPLATES)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_script_parses_data_as_html(path: Path):
    found = sinks(path.read_text("utf-8"))
    assert not found, f"{path.relative_to(ROOT)}: build nodes with el()/textContent: {found}"


@pytest.mark.parametrize(
    "line",
    [
        'b.innerHTML = `<svg><use href="#ic-${s.icon}"/></svg>`;',
        "node.outerHTML = html;",
        'list.insertAdjacentHTML("beforeend", row);',
        "document.write(text);",
        "range.createContextualFragment(markup);",
        "frame.srcdoc = slip;",
        'new DOMParser().parseFromString(x, "text/html");',
        "eval(code);",
    ],
)
def test_the_check_catches_each_sink(line: str):
    assert sinks(f"const a = 1;\n{line}\n") == [line]


def test_text_only_building_passes_the_check():
    ok = 'b.append(el("span", { class: "k-fname" }, name));\nnode.textContent = s.name;\n'
    assert sinks(ok) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_escape_every_value(path: Path):
    name = str(path.relative_to(ROOT))
    found = [
        line.strip()
        for line in path.read_text("utf-8").splitlines()
        if UNESCAPED.search(line)
        and not any(name == n and allowed in line for n, allowed in ALLOWED_UNESCAPED)
    ]
    assert not found, f"{name}: a value skips autoescaping: {found}"
