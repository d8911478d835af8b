// Backend Dojo's native menu bar in the real desktop window (GTK under Xvfb): each item's
// shortcut, pressed on the window the way a learner's keyboard would (xdotool), does what
// the item says; the menus open with a mouse click and with their access keys (Alt+F);
// Help › About shows the About box; File › Quit closes the app and remembers the screen.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  WAIT_MS,
  focusWindow,
  saveScreenWhenPainted,
  shownWindows,
  startDesktop,
  waitForNoWindow,
  waitForWindow,
  windowGeometry,
  xdotool,
} from "./harness.mjs";

/** The main window's title (the candidate window's is longer). */
const MAIN_WINDOW = "^Backend Dojo$";
/** GTK names a menu's popup window after the program. */
const MENU_POPUP = "^backend-dojo$";
/**
 * Where the menu bar's titles sit in the window (points inside "File", "View", "Help" at
 * the default GTK theme and DejaVu Sans): the bar is the window's top 25 pixels.
 */
const MENU_TITLES = { File: [19, 12], View: [62, 12], Help: [110, 12] };

let desktop;
let browser;
let mainWindow;

before(async () => {
  desktop = await startDesktop();
  browser = await desktop.launchApp();
  await browser.waitUntil(async () => (await browser.$$("[data-topic-id]")).length === 33, {
    timeout: WAIT_MS,
    timeoutMsg: "the sidebar did not list 33 topics",
  });
  mainWindow = await waitForWindow(desktop.display, MAIN_WINDOW);
});

after(async () => {
  await desktop?.stop();
});

/** Presses keys on the main window, e.g. `press("ctrl+comma")`. */
async function press(...keys) {
  await focusWindow(desktop.display, mainWindow);
  await xdotool(desktop.display, ["key", ...keys]);
}

/** Opens a menu of the menu bar with a click on its title; returns its popup's window. */
async function clickMenu(title) {
  const [x, y] = MENU_TITLES[title];
  await focusWindow(desktop.display, mainWindow);
  await xdotool(desktop.display, ["mousemove", "--window", mainWindow, String(x), String(y), "click", "1"]);
  return waitForWindow(desktop.display, MENU_POPUP);
}

/** Clicks the `index`-th of `count` items in an open menu popup (no separators). */
async function clickMenuItem(popup, index, count) {
  const box = await windowGeometry(desktop.display, popup);
  const x = box.x + Math.round(box.width / 2);
  const y = box.y + Math.round(((index + 0.5) * box.height) / count);
  await xdotool(desktop.display, ["mousemove", String(x), String(y), "click", "1"]);
  await waitForNoWindow(desktop.display, MENU_POPUP);
}

async function goTo(hash) {
  await browser.execute((next) => {
    location.hash = next;
  }, hash);
  await browser.waitUntil(async () => (await browser.execute(() => location.hash)) === hash, {
    timeout: WAIT_MS,
  });
}

/** Waits until the keyboard focus is inside `selector` (a dialog takes it as it opens). */
async function waitForFocusIn(selector) {
  await browser.waitUntil(
    async () => browser.execute((css) => document.querySelector(css)?.contains(document.activeElement) ?? false, selector),
    { timeout: WAIT_MS, timeoutMsg: `the focus never moved into ${selector}` },
  );
}

function theme() {
  return browser.execute(() => document.documentElement.dataset.theme);
}

async function waitForTheme(expected, why) {
  await browser.waitUntil(async () => (await theme()) === expected, {
    timeout: WAIT_MS,
    timeoutMsg: why,
  });
}

test("Ctrl+, opens Settings", async () => {
  await goTo("#/");
  await press("ctrl+comma");
  const heading = browser.$("#settings-title");
  await heading.waitForDisplayed({ timeout: WAIT_MS, timeoutMsg: "Ctrl+, did not open Settings" });
  assert.equal(await heading.getText(), "Settings");
  assert.equal(await browser.execute(() => location.hash), "#/settings");
});

test("Ctrl+Shift+L switches between the light and dark theme", async () => {
  const before = await theme();
  const other = before === "dark" ? "light" : "dark";
  await press("ctrl+shift+l");
  await waitForTheme(other, `Ctrl+Shift+L did not switch to the ${other} theme`);
  await press("ctrl+shift+l");
  await waitForTheme(before, `Ctrl+Shift+L did not switch back to the ${before} theme`);
});

test("Ctrl+K opens the command palette and closes it again", async () => {
  const palette = browser.$("[role='dialog'][aria-label='Command palette']");
  await press("ctrl+k");
  await palette.waitForDisplayed({ timeout: WAIT_MS, timeoutMsg: "Ctrl+K did not open the palette" });
  // The palette's search field takes the focus: typing goes there.
  await waitForFocusIn(".palette-input");
  await xdotool(desktop.display, ["type", "rate"]);
  await browser.waitUntil(async () => (await browser.$(".palette-input").getValue()) === "rate", {
    timeout: WAIT_MS,
    timeoutMsg: "what was typed did not reach the palette's search field",
  });
  await press("ctrl+k");
  await palette.waitForExist({ reverse: true, timeout: WAIT_MS, timeoutMsg: "Ctrl+K did not close the palette" });
});

test("Ctrl+E opens the Export dialog", async () => {
  const dialog = browser.$(".export-dialog");
  await press("ctrl+e");
  await dialog.waitForDisplayed({ timeout: WAIT_MS, timeoutMsg: "Ctrl+E did not open Export" });
  assert.equal(await browser.$("#export-title").getText(), "Export a PDF");
  await waitForFocusIn(".export-dialog");
  await press("Escape");
  await dialog.waitForExist({ reverse: true, timeout: WAIT_MS, timeoutMsg: "Escape did not close Export" });
});

test("a click on View, then on Toggle Theme, switches the theme", async () => {
  const before = await theme();
  const popup = await clickMenu("View");
  await clickMenuItem(popup, 0, 2);
  await waitForTheme(before === "dark" ? "light" : "dark", "View › Toggle Theme did nothing");
});

test("a click on View, then on Command Palette…, opens the palette", async () => {
  const popup = await clickMenu("View");
  await clickMenuItem(popup, 1, 2);
  const palette = browser.$("[role='dialog'][aria-label='Command palette']");
  await palette.waitForDisplayed({ timeout: WAIT_MS, timeoutMsg: "View › Command Palette… did nothing" });
  await waitForFocusIn("[role='dialog'][aria-label='Command palette']");
  await press("Escape");
  await palette.waitForExist({ reverse: true, timeout: WAIT_MS });
});

test("Alt+F, then E, opens the Export dialog from the File menu", async () => {
  await press("alt+f");
  await waitForWindow(desktop.display, MENU_POPUP);
  await xdotool(desktop.display, ["key", "e"]);
  await waitForNoWindow(desktop.display, MENU_POPUP);
  const dialog = browser.$(".export-dialog");
  await dialog.waitForDisplayed({ timeout: WAIT_MS, timeoutMsg: "File › Export… did not open Export" });
  await waitForFocusIn(".export-dialog");
  await press("Escape");
  await dialog.waitForExist({ reverse: true, timeout: WAIT_MS });
});

test("Alt+F, then S, opens Settings from the File menu", async () => {
  await goTo("#/");
  await press("alt+f");
  await waitForWindow(desktop.display, MENU_POPUP);
  await xdotool(desktop.display, ["key", "s"]);
  await browser.$("#settings-title").waitForDisplayed({
    timeout: WAIT_MS,
    timeoutMsg: "File › Settings did not open Settings",
  });
});

test("Help › About shows the About box, and Escape closes it", async () => {
  const popup = await clickMenu("Help");
  await clickMenuItem(popup, 0, 1);
  const about = await waitForWindow(desktop.display, "^About Backend Dojo$");
  await saveScreenWhenPainted(desktop.display, about, "desktop-about.png");
  await focusWindow(desktop.display, about);
  await xdotool(desktop.display, ["key", "Escape"]);
  await waitForNoWindow(desktop.display, "^About Backend Dojo$");
  assert.deepEqual(await shownWindows(desktop.display, MAIN_WINDOW), [mainWindow], "the app is still open");
});

// Last: the app is gone afterwards.
test("Ctrl+Q quits the app and it remembers the screen it showed", async () => {
  await goTo("#/settings");
  const pid = Number(await xdotool(desktop.display, ["getwindowpid", mainWindow]));
  const saved = join(desktop.dataDir, "window-state.json");
  // The file is written at launch; only Quit writes it again this soon.
  rmSync(saved, { force: true });
  await press("ctrl+q");
  await waitForNoWindow(desktop.display, MAIN_WINDOW);
  desktop.forget(browser);
  await browser.waitUntil(async () => !isRunning(pid), {
    timeout: WAIT_MS,
    timeoutMsg: "the app's process is still running",
  });
  assert.ok(existsSync(saved), "Quit wrote window-state.json");
  assert.equal(JSON.parse(readFileSync(saved, "utf8")).route, "/settings");
});

/** Whether a process runs (a zombie waiting for its parent counts as ended). */
function isRunning(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
