// Helpers for the tests of the sandbox panels on topic pages (mailbox, webhook sender,
// Socket.IO, upload, Google sign-in): the dark theme, an axe-core audit of one panel, and
// a picture of one panel.

import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { ARTIFACTS_DIR, eventually } from "./harness.mjs";

/** Switches the page to the dark theme with the header's button. */
export async function switchToDark(page) {
  await page.getByRole("button", { name: "Toggle theme" }).click();
  await eventually(
    () => page.evaluate(() => document.documentElement.dataset.theme),
    (theme) => theme === "dark",
    "the dark theme",
  );
}

/** Serious or critical axe-core (WCAG 2.1 AA) violations inside `selector`. */
export async function axeProblems(page, selector) {
  const results = await new AxeBuilder({ page })
    .include(selector)
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((v) => `${v.id} (${v.nodes.length}x) ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}

/** A picture of one panel; the window grows to the page first, so the status bar (fixed to
 * the bottom of the window) never lands on top of it. */
export async function shoot(locator, name) {
  const page = locator.page();
  await page.evaluate(() => document.fonts.ready);
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.max(height, viewport.height) });
  try {
    await locator.screenshot({ path: join(ARTIFACTS_DIR, name) });
  } finally {
    await page.setViewportSize(viewport);
  }
}
