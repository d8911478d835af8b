// Backend Dojo's Export dialog in the real desktop window saves the PDF through the
// system's own Save dialog (GTK's file chooser): the learner picks two topics, exports,
// presses "Save PDF…", types where the file goes and presses Enter; or changes their mind
// and presses Escape. xdotool types into the native dialog on the test's own display.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  WAIT_MS,
  clickInView,
  focusWindow,
  saveAppScreenshot,
  saveScreenWhenPainted,
  startDesktop,
  waitForNoWindow,
  waitForWindow,
  xdotool,
} from "./harness.mjs";

/** The title GTK gives the file chooser the app opens to save. */
const SAVE_DIALOG = "^Save File$";
/** Typesetting two topics in a debug build takes a few seconds. */
const EXPORT_MS = 120_000;

let desktop;
let browser;
// Where the learner saves: a scratch folder with a space in its name, like many homes have.
const saveDir = mkdtempSync(join(tmpdir(), "dojo saved pdfs "));

before(async () => {
  desktop = await startDesktop();
  browser = await desktop.launchApp();
  await browser.waitUntil(async () => (await browser.$$("[data-topic-id]")).length === 33, {
    timeout: WAIT_MS,
    timeoutMsg: "the sidebar did not list 33 topics",
  });
});

after(async () => {
  await desktop?.stop();
  rmSync(saveDir, { recursive: true, force: true });
});

test("the Export dialog typesets a PDF of two chosen topics", async () => {
  // The page's own shortcut (WebDriver types into the web view, not the menu bar).
  await browser.keys(["Control", "e"]);
  const dialog = browser.$(".export-dialog");
  await dialog.waitForDisplayed({ timeout: WAIT_MS, timeoutMsg: "Ctrl+E did not open Export" });

  await clickInView(browser, dialog.$("input[type='radio'][value='chosen']"));
  for (const title of ["JWT-protected routes", "Rate limiting"]) {
    const box = dialog.$(`label.export-topic*=${title}`).$("input[type='checkbox']");
    await clickInView(browser, box);
    assert.ok(await box.isSelected(), `${title} is chosen`);
  }
  await clickInView(browser, dialog.$("button=Export PDF"));
  const stage = dialog.$(".export-stage[data-state='done']");
  await stage.waitForDisplayed({ timeout: EXPORT_MS, timeoutMsg: "the export never finished" });
  assert.match(await stage.getText(), /^Ready: \d+ pages?, \d+ kB$/);
  await dialog.$("button=Save PDF…").waitForClickable({ timeout: WAIT_MS });
});

test("Cancel in the native Save dialog writes nothing and shows no error", async () => {
  await clickInView(browser, browser.$("button=Save PDF…"));
  const chooser = await waitForWindow(desktop.display, SAVE_DIALOG);
  await saveScreenWhenPainted(desktop.display, chooser, "desktop-save-dialog-open.png");
  await focusWindow(desktop.display, chooser);
  await xdotool(desktop.display, ["key", "Escape"]);
  await waitForNoWindow(desktop.display, SAVE_DIALOG);

  // The app says nothing was saved and is ready for another try: no error, no "Saved to",
  // the Save button still there.
  const notSaved = browser.$(".export-not-saved");
  await notSaved.waitForDisplayed({ timeout: WAIT_MS, timeoutMsg: "the app never said it did not save" });
  assert.match(await notSaved.getText(), /^Not saved: the Save dialog was closed/);
  const save = browser.$("button=Save PDF…");
  await save.waitForClickable({ timeout: WAIT_MS });
  assert.equal(await browser.$(".export-dialog [role='alert']").isExisting(), false, "no error shown");
  assert.equal(await browser.$(".export-saved").isExisting(), false, "nothing claims it was saved");
  assert.deepEqual(readdirSync(saveDir), [], "no file was written");
});

test("the PDF lands where the learner types in the native Save dialog", async () => {
  const target = join(saveDir, "my backend cheat sheet.pdf");
  await clickInView(browser, browser.$("button=Save PDF…"));
  const chooser = await waitForWindow(desktop.display, SAVE_DIALOG);
  await focusWindow(desktop.display, chooser);
  // The name field has the focus and the suggested name; a full path replaces it.
  await xdotool(desktop.display, ["key", "ctrl+a"]);
  await xdotool(desktop.display, ["type", "--delay", "5", target]);
  await saveScreenWhenPainted(desktop.display, chooser, "desktop-save-dialog.png");
  await xdotool(desktop.display, ["key", "Return"]);
  await waitForNoWindow(desktop.display, SAVE_DIALOG);

  const saved = browser.$(".export-saved");
  await saved.waitForDisplayed({ timeout: WAIT_MS, timeoutMsg: "the app never said it saved" });
  assert.equal(await saved.getText(), `Saved to ${target}`);
  assert.equal(await browser.$(".export-not-saved").isExisting(), false, "the earlier cancel is forgotten");
  assert.ok(existsSync(target), `no file at ${target}`);
  assert.equal(firstBytes(target, 5), "%PDF-", "the file is a PDF");
  // The two chosen topics are in it, and a topic left out is not.
  const text = execFileSync("pdftotext", [target, "-"], { encoding: "utf8" });
  assert.match(text, /JWT-protected routes/);
  assert.match(text, /Rate limiting/);
  assert.doesNotMatch(text, /Pagination/);
  assert.equal(await browser.$(".export-dialog [role='alert']").isExisting(), false, "no error shown");
  await browser.execute((el) => el.scrollIntoView({ block: "center", behavior: "instant" }), await saved.getElement());
  await saveAppScreenshot(browser, "desktop-export-saved.png");
});

function firstBytes(path, count) {
  const buffer = Buffer.alloc(count);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buffer, 0, count, 0);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("latin1");
}
