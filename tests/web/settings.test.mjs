// Settings in Chromium against a real `dojo serve`: theme and text size persist across a
// reload; a study backup downloads, survives a reset, and restores the learner's note.

import { test } from "node:test";
import assert from "node:assert/strict";
import { TEST_MS, dojo, eventually, openPage, screenshot, useDojo } from "./harness.mjs";

useDojo();

test("theme and text size stick across a reload", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t, { colorScheme: "light" });
  await page.goto(`${dojo.url}#/settings`);
  await page.getByRole("heading", { name: "Settings" }).waitFor();
  assert.ok(await page.getByLabel("Follow the system").isChecked(), "the system decides at first");

  await page.getByLabel("Dark").check();
  await page.getByLabel("Larger").check();
  const state = () =>
    page.evaluate(() => [document.documentElement.dataset.theme, document.documentElement.style.fontSize]);
  await eventually(state, ([theme, size]) => theme === "dark" && size === "125%", "dark, larger");
  await screenshot(page, "settings-dark.png");

  await page.reload();
  await page.getByRole("heading", { name: "Settings" }).waitFor();
  assert.deepEqual(await state(), ["dark", "125%"], "both choices survive a reload");
  assert.ok(await page.getByLabel("Dark").isChecked());

  await page.getByLabel("Follow the system").check();
  await eventually(state, ([theme]) => theme === "light", "back to the system's light theme");
});

test("a backup brings a note back after a reset", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(`${dojo.url}#/topic/6`);
  const note = page.getByRole("textbox", { name: "Your notes on this topic (Markdown)" });
  await eventually(() => note.isEnabled(), (yes) => yes, "the note box is ready");
  await note.fill("Same answer whether or not the account exists.");
  await eventually(() => page.locator(".note-status").innerText(), (s) => s.startsWith("Saved at"), "saved");

  await page.goto(`${dojo.url}#/settings`);
  await eventually(() => page.locator(".settings-path").innerText(), (s) => s.endsWith("study.db"), "db path");
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download a backup" }).click();
  const backup = await (await downloading).path();

  const deleteAll = page.getByRole("button", { name: "Delete all study data" });
  assert.ok(await deleteAll.isDisabled(), "nothing is deleted before the word is typed");
  await page.getByLabel(/Start over/).fill("reset");
  await deleteAll.click();
  const status = page.getByRole("status").filter({ hasText: /deleted|Restored/ });
  await eventually(() => status.innerText(), (s) => s.startsWith("All study data was deleted"), "reset done");

  await page.goto(`${dojo.url}#/topic/6`);
  await eventually(() => note.inputValue(), (v) => v === "", "the note is gone after the reset");

  await page.goto(`${dojo.url}#/settings`);
  await page.locator('input[type="file"]').setInputFiles(backup);
  await eventually(() => status.innerText(), (s) => s.includes("Restored") && s.includes("1 notes"), "restored");

  await page.goto(`${dojo.url}#/topic/6`);
  await eventually(() => note.inputValue(), (v) => v.startsWith("Same answer"), "the note is back");
});
