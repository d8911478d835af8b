// Accessibility audit of Backend Dojo's main screens with axe-core, in both themes:
// no serious or critical violations (WCAG 2.1 A and AA rules, colour contrast included).

import { test } from "node:test";
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import { TEST_MS, dojo, openPage, useDojo } from "./harness.mjs";

useDojo();

const SCREENS = [
  { name: "dashboard", hash: "", ready: "[data-tile-id]" },
  // A topic that is still loading is dimmed (aria-busy); audit it once it has arrived.
  { name: "topic 17", hash: "#/topic/17", ready: '.topic:not([aria-busy="true"]) .request-card' },
  { name: "topic 2", hash: "#/topic/2", ready: '.topic:not([aria-busy="true"]) .note-input' },
  // Topics with the mailbox and the webhook sender panels.
  { name: "topic 4", hash: "#/topic/4", ready: '.topic:not([aria-busy="true"]) .request-card' },
  { name: "topic 23", hash: "#/topic/23", ready: '.topic:not([aria-busy="true"]) .request-card' },
  { name: "review", hash: "#/review", ready: "[data-testid='review-due']" },
  { name: "traffic", hash: "#/traffic", ready: "main h1" },
  { name: "settings", hash: "#/settings", ready: ".settings-path" },
];

for (const colorScheme of ["light", "dark"]) {
  test(`no serious accessibility violations in the ${colorScheme} theme`, { timeout: TEST_MS }, async (t) => {
    const page = await openPage(t, { colorScheme });
    const problems = [];
    for (const screen of SCREENS) {
      await page.goto(`${dojo.url}${screen.hash}`);
      await page.locator(screen.ready).first().waitFor();
      const results = await new AxeBuilder({ page })
        .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
        .analyze();
      for (const violation of results.violations) {
        if (violation.impact !== "serious" && violation.impact !== "critical") continue;
        const where = violation.nodes.slice(0, 3).map((node) => node.target.join(" ")).join(" | ");
        problems.push(`${screen.name}: ${violation.id} (${violation.nodes.length}x) ${where}`);
      }
    }
    assert.deepEqual(problems, [], `axe found:\n${problems.join("\n")}`);
  });
}
