"""Accessibility checked in the real browser: axe-core (tests/support/axe, from npm) run
inside the page as it stands, against the WCAG 2.1 A and AA rules."""
from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page) -> list[str]:
    """One line per rule broken, with where: empty when axe finds nothing."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the browser's debugging protocol: the page's own
        # Content-Security-Policy forbids inline scripts, and rightly.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    found = page.evaluate("(tags) => axe.run(document, { runOnly: { type: 'tag', values: tags } })"
                          ".then((r) => r.violations.map((v) => `${v.id}: ${v.help} at ` +"
                          " v.nodes.map((n) => n.target.join(' ')).join(', ')))", RULES)
    return found
