"""axe-core in the browser tests: the npm package (package.json, installed by `./pledgeday setup`
into node_modules) injected into a Playwright page, run with its default rules, and its
violations of any impact put in a table a person can act on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.conftest import _skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# axe.run's defaults (every rule that is not experimental or AAA: WCAG 2.0, 2.1 and 2.2 A and
# AA, and the best practices); only violations are wanted back, with every node they concern.
RUN = """
async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((rule) => ({
    rule: rule.id,
    impact: rule.impact || "",
    help: rule.help,
    nodes: rule.nodes.map((node) => ({
      target: node.target.join(" "),
      html: node.html.slice(0, 200),
      summary: (node.failureSummary || "").split("\\n").slice(1).join(" ").trim(),
    })),
  }));
}
"""


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    target: str
    html: str
    summary: str

    def line(self) -> str:
        return f"{self.impact:<8} {self.rule}: {self.help} | {self.target} | {self.summary}"


def axe_script() -> Path:
    """The installed axe-core; else the test is skipped, saying how to install it (and fails
    instead in CI, PLEDGEDAY_REQUIRE_SERVICES=1, as for Chromium)."""
    if not AXE.exists():
        _skip_or_fail(
            f"axe-core is not installed ({AXE.relative_to(ROOT)} is missing): run "
            "./pledgeday setup (it runs `npm ci`; needs Node.js and npm)"
        )
    return AXE


def axe_violations(page) -> list[Violation]:
    """Every violation axe finds on the page as it is now, one per element. The page's context
    must bypass the site's Content-Security-Policy (`bypass_csp=True`): the injected script is
    the test's, not the site's, and the CSP rightly refuses inline scripts."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    found = page.evaluate(RUN)
    return [
        Violation(
            rule=rule["rule"],
            impact=rule["impact"],
            help=rule["help"],
            target=node["target"],
            html=node["html"],
            summary=node["summary"],
        )
        for rule in found
        for node in rule["nodes"]
    ]
