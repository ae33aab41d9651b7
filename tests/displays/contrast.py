"""WCAG contrast of every visible text on a page, computed from what the browser rendered.

    from tests.displays.contrast import assert_readable, low_contrast
    assert_readable(page, "lobby idle")          # fails with the list of bad texts
    problems = low_contrast(page, minimum=4.5)   # or look at them yourself

For each visible element with its own text, the page script takes the computed text colour
and builds the background it is drawn on by walking up its ancestors: background colours
are composited with their alpha until an opaque one is reached (the canvas is white);
a gradient counts as each of its colour stops, and the worst one is taken (conservative:
a gradient passes only if the text is readable on every stop); a background image (url)
cannot be judged and is reported as a problem. Opacity of the element and its ancestors
fades the text toward its background. The ratio is WCAG 2's (relative luminance, sRGB).

Usable on any page of the project (lobby, counter display, status page, kiosk, console):
it needs nothing but a Playwright page. Sample animated states by freezing them first
(a class, or `animation.pause()` at several moments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page

AA = 4.5
"""WCAG AA for normal text; the project holds every text to it, large or not."""

_SCRIPT = """
(args) => {
  const [rootSel, minimum] = args;
  const parse = (s) => {
    const m = s.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const stops = (image) => (image.match(/rgba?\\([^)]+\\)/g) || []).map(parse);
  const over = (top, under) => {  // top with alpha over an opaque colour
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)];
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const hex = (c) => "#" + c.slice(0, 3)
    .map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  const path = (n) => {
    const parts = [];
    for (let e = n; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
      parts.unshift(e.id ? `#${e.id}` : e.tagName.toLowerCase() +
        (e.classList.length ? "." + [...e.classList].join(".") : ""));
      if (e.id) break;
    }
    return parts.join(" > ");
  };
  const visible = (n) => {
    if (!n.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const r = n.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 &&
      r.top < innerHeight && r.left < innerWidth;
  };
  const root = document.querySelector(rootSel) || document.body;
  const out = [];
  for (const n of [root, ...root.querySelectorAll("*")]) {
    const own = [...n.childNodes].filter((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own.length || !visible(n)) continue;
    const cs = getComputedStyle(n);
    const text = parse(cs.color);
    // Layers from the element up, until an opaque one; each layer is a list of colours.
    const layers = [];
    let opacity = 1;
    let image = null;
    for (let e = n; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      opacity *= Number(s.opacity);
      const bg = s.backgroundImage;
      if (bg && bg !== "none") {
        if (/url\\(/.test(bg)) { image = path(e); break; }
        const colours = stops(bg);
        if (colours.length) {
          layers.push(colours);
          if (colours.every((c) => c[3] >= 1)) break;
        }
      }
      const c = parse(s.backgroundColor);
      if (c && c[3] > 0) {
        layers.push([c]);
        if (c[3] >= 1) break;
      }
    }
    const snippet = own.map((c) => c.textContent.trim()).join(" ").slice(0, 60);
    if (image) {
      out.push({ path: path(n), text: snippet, ratio: 0, color: hex(text),
        background: `image on ${image}` });
      continue;
    }
    let backs = [[255, 255, 255, 1]];
    for (const layer of layers.reverse()) {
      backs = layer.flatMap((c) => backs.map((b) => over(c, b)));
    }
    let worst = null;
    for (const b of backs) {
      const fg = over([text[0], text[1], text[2], text[3] * opacity], b);
      const r = ratio(fg, b);
      if (!worst || r < worst.r) worst = { r, b, fg };
    }
    out.push({ path: path(n), text: snippet, ratio: Math.round(worst.r * 100) / 100,
      color: hex(worst.fg), background: hex(worst.b) });
  }
  return out.filter((t) => t.ratio < minimum);
}
"""


@dataclass(frozen=True)
class LowContrast:
    """One text drawn with too little contrast."""

    path: str
    text: str
    ratio: float
    color: str
    background: str

    def __str__(self) -> str:
        return f"{self.ratio:.2f}:1 {self.color} on {self.background} {self.path} {self.text!r}"


def low_contrast(page: Page, root: str = "body", minimum: float = AA) -> list[LowContrast]:
    """Every visible text under `root` whose contrast is below `minimum`."""
    found: list[dict[str, Any]] = page.evaluate(_SCRIPT, [root, minimum])
    return [LowContrast(**f) for f in found]


def assert_readable(page: Page, state: str, root: str = "body", minimum: float = AA) -> None:
    """Fail, naming each text, when any visible text is below `minimum` (WCAG AA: 4.5)."""
    problems = low_contrast(page, root, minimum)
    assert not problems, f"{state}: low contrast:\n" + "\n".join(map(str, problems))
