"""The HTML report in a real browser: headless Chromium (Debian's ``chromium``) driven by
Python playwright with the system browser's executable, so no browser is downloaded.

Used by the browser test and by ``nox -s screenshots``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Executables tried, in order.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PHONE = (390, 844)
DESKTOP = (1280, 900)


def browser_path() -> str | None:
    """The system Chromium, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageCheck:
    """What a reader's browser shows of one HTML file at one window width."""

    width: int
    errors: list[str] = field(default_factory=list)
    scroll_width: int = 0
    client_width: int = 0
    figures: list[dict[str, Any]] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    links: int = 0
    #: Table cells whose longest word is wider than the cell (a word broken mid-way).
    split_words: list[str] = field(default_factory=list)


_PROBE = r"""() => {
  const figures = [...document.querySelectorAll('figure svg')].map(svg => {
    const box = svg.getBoundingClientRect();
    return {width: box.width, height: box.height, role: svg.getAttribute('role'),
            title: !!svg.querySelector('title'), desc: !!svg.querySelector('desc'),
            texts: svg.querySelectorAll('text').length,
            paths: svg.querySelectorAll('path, use, rect, image').length};
  });
  const links = [...document.querySelectorAll('nav a[href^="#"]')];
  const broken = links.map(a => a.getAttribute('href').slice(1))
                      .filter(id => !document.getElementById(id));
  const probe = document.createElement('span');
  probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap';
  document.body.appendChild(probe);
  const split = [];
  for (const td of document.querySelectorAll('table.data td')) {
    const style = getComputedStyle(td);
    // words are measured in the font they are drawn in (a code cell's is monospace)
    probe.style.font = getComputedStyle(td.querySelector('code') || td).font;
    let widest = 0;
    for (const word of td.textContent.split(/[\s\/\u2013\u2014-]+/)) {  // break points
      if (word.length > 24) continue;  // hashes and URLs may break anywhere
      probe.textContent = word;
      widest = Math.max(widest, probe.getBoundingClientRect().width);
    }
    const inner = td.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (widest > inner + 1) split.push(td.textContent.slice(0, 40));
  }
  probe.remove();
  return {figures, broken, links: links.length, split,
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth};
}"""


def check_page(html: Path, width: int, height: int, *, screenshot: Path | None = None,
               full_page: bool = False) -> PageCheck:
    """Open ``html`` in headless Chromium at ``width`` x ``height``; report console errors,
    page errors, figures, contents links and the document's width."""
    from playwright.sync_api import sync_playwright

    result = PageCheck(width=width)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path(),
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda m: result.errors.append(m.text)
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: result.errors.append(str(e)))
            page.on("requestfailed", lambda r: result.errors.append(f"request {r.url}"))
            page.goto(html.resolve().as_uri(), wait_until="load")
            probe = page.evaluate(_PROBE)
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=full_page)
        finally:
            browser.close()
    result.figures = probe["figures"]
    result.broken_links = probe["broken"]
    result.links = probe["links"]
    result.split_words = probe["split"]
    result.scroll_width = probe["scrollWidth"]
    result.client_width = probe["clientWidth"]
    return result
