// The Export dialog in Chromium against a real `dojo serve`: a study guide of one topic
// with the learner's note, typeset with a progress bar, previewed, and downloaded as PDF.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { TEST_MS, dojo, eventually, openPage, screenshot, useDojo } from "./harness.mjs";

useDojo();

test("Ctrl+E exports a study guide of the open topic and downloads it", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(`${dojo.url}#/topic/2`);
  await page.getByRole("radiogroup", { name: "Your progress on this topic" }).waitFor();
  const note = page.getByRole("textbox", { name: "Your notes on this topic (Markdown)" });
  await eventually(() => note.isEnabled(), (yes) => yes, "the note box is ready");
  await note.fill("Remember: rotate the session id at login.");
  await eventually(() => page.locator(".note-status").innerText(), (s) => s.startsWith("Saved at"), "note saved");

  await page.keyboard.press("Control+e");
  const dialog = page.getByRole("dialog", { name: "Export a PDF" });
  await dialog.waitFor();
  await dialog.getByLabel(/Study guide/).check();
  assert.ok(await dialog.getByLabel("Only topic 2").isChecked(), "the open topic is the default choice");
  await dialog.getByRole("button", { name: "Export PDF" }).click();

  const stage = dialog.locator(".export-stage");
  await eventually(() => stage.getAttribute("data-state"), (s) => s === "done", "the export finishes", 60_000);
  assert.match(await stage.innerText(), /\d+ pages/);
  const preview = dialog.getByRole("img", { name: "First page of the exported PDF" });
  await eventually(() => preview.evaluate((img) => img.complete && img.naturalWidth), (w) => w > 100, "preview shown");
  await screenshot(page, "export.png", { fullPage: false });

  const downloading = page.waitForEvent("download");
  await dialog.getByRole("link", { name: /Download backend-dojo-guide\.pdf/ }).click();
  const download = await downloading;
  assert.equal(download.suggestedFilename(), "backend-dojo-guide.pdf");
  const pdf = await readFile(await download.path());
  assert.equal(pdf.subarray(0, 5).toString(), "%PDF-", "the download is a PDF");

  await page.keyboard.press("Escape");
  await eventually(() => dialog.count(), (n) => n === 0, "Escape closes the dialog");
});

test("choosing topics by hand needs at least one", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(dojo.url);
  await page.locator("[data-tile-id]").first().waitFor();
  await page.keyboard.press("Control+e");
  const dialog = page.getByRole("dialog", { name: "Export a PDF" });
  await dialog.getByLabel("Choose topics…").check();
  await dialog.getByRole("button", { name: "Export PDF" }).click();
  await eventually(() => dialog.getByRole("alert").innerText(), (s) => s.includes("at least one"), "asks for a topic");

  await dialog.getByLabel("17. Rate limiting").check();
  await dialog.getByLabel(/Rust/).check();
  await dialog.getByRole("button", { name: "Export PDF" }).click();
  const stage = dialog.locator(".export-stage");
  await eventually(() => stage.getAttribute("data-state"), (s) => s === "done", "the cheat sheet finishes", 60_000);
  const href = await dialog.getByRole("link", { name: /Download/ }).getAttribute("href");
  const response = await fetch(new URL(href, dojo.url));
  assert.equal(response.headers.get("content-type"), "application/pdf");
});
