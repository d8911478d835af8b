// Backend Dojo's desktop app in a real window: the Tauri binary runs under its own Xvfb
// display and is driven through tauri-driver (WebKitWebDriver underneath), the way a
// learner would use it: the window opens, all 33 topics are listed, a topic opens with
// highlighted code, a mock interview opens the candidate's view as a second window, and
// the app reopens with the same window size and the last topic it showed.
// The display, driver and scratch study folder come from harness.mjs (which also lists the
// environment variables that point at the binary, the driver and the screenshot folder).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  WAIT_MS,
  clickInView as clickInViewOf,
  saveAppScreenshot,
  saveScreenScreenshot,
  startDesktop,
} from "./harness.mjs";

let desktop;
let browser;
let dataDir;

before(async () => {
  desktop = await startDesktop();
  dataDir = desktop.dataDir;
  browser = await desktop.launchApp();
});

after(async () => {
  await desktop?.stop();
});

test("the window opens on Backend Dojo", async () => {
  await browser.waitUntil(async () => (await browser.getTitle()).includes("Backend Dojo"), {
    timeout: WAIT_MS,
    timeoutMsg: "the window never showed the Backend Dojo page",
  });
});

test("the sidebar lists all 33 topics", async () => {
  await browser.waitUntil(async () => (await browser.$$("[data-topic-id]")).length === 33, {
    timeout: WAIT_MS,
    timeoutMsg: "the sidebar did not list 33 topics",
  });
  const first = await browser.$('[data-topic-id="1"]').getText();
  assert.match(first, /JWT/, "topic 1 is the JWT topic");
});

test("opening a topic shows its text and highlighted code", async () => {
  await browser.$('[data-topic-id="17"]').click();
  const title = browser.$("#topic-title");
  await title.waitForDisplayed({ timeout: WAIT_MS });
  await browser.waitUntil(async () => (await title.getText()) === "Rate limiting", {
    timeout: WAIT_MS,
    timeoutMsg: "topic 17 did not open",
  });
  await browser.waitUntil(async () => (await browser.$$('pre code span[class*="hl-"]')).length > 0, {
    timeout: WAIT_MS,
    timeoutMsg: "topic 17 shows no highlighted code",
  });
  const answer = await browser.$("article").getText();
  assert.match(answer, /Interview answer/);
  assert.match(answer, /Retry-After/);

  await saveAppScreenshot(browser, "desktop-topic-17.png");
  // The whole X screen too: the real window with its decorations as a learner sees it.
  await saveScreenScreenshot(desktop.display, "desktop-screen.png");
});

test("the sandbox runs inside the app and the console reaches it", async () => {
  const state = browser.$(".sb-state");
  await browser.waitUntil(async () => (await state.getText()) === "running", {
    timeout: WAIT_MS,
    timeoutMsg: "the status bar never said the sandbox is running",
  });
  const address = (await browser.$(".sb-address").getProperty("textContent")).trim();
  assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/, "the sandbox listens on loopback");
  // The sandbox answers a request made from outside the window, like curl would.
  const health = await fetch(`${address}/healthz`);
  assert.equal(health.status, 200);

  // Topic 1's first "Try it" request (the login) runs through the app's console and
  // comes back with its status and a trace timeline.
  await browser.$('[data-topic-id="1"]').click();
  // Wait for topic 1 to replace topic 17, or the click below could land on 17's console.
  await browser.waitUntil(async () => (await browser.$("#topic-title").getText()) === "JWT-protected routes", {
    timeout: WAIT_MS,
    timeoutMsg: "topic 1 did not open",
  });
  const run = browser.$(".rq-run");
  await run.waitForClickable({ timeout: WAIT_MS });
  // The page scrolls smoothly; a plain click can land while it moves and hit nothing.
  await clickInView(run);
  const status = browser.$(".rq-status-line");
  await status.waitForDisplayed({ timeout: WAIT_MS });
  assert.equal(await status.getAttribute("data-status"), "200", "the login answered 200");
  await status.scrollIntoView();
  await saveAppScreenshot(browser, "desktop-console.png");
});

test("a mock interview opens the candidate's view as a second native window", async () => {
  const main = await browser.getWindowHandle();
  await browser.execute(() => {
    location.hash = "#/interviews";
  });
  const preset = browser.$("input[name='interview-source'][value='security']");
  await preset.waitForClickable({ timeout: WAIT_MS });
  await browser.$("#interview-name").setValue("Desktop loop");
  await clickInView(preset);
  await clickInView(browser.$("button[type='submit']"));
  const start = browser.$("button=Start the interview");
  await start.waitForClickable({ timeout: WAIT_MS });
  await clickInView(start);
  const question = browser.$("[data-testid='mentor-question']");
  await question.waitForDisplayed({ timeout: WAIT_MS });
  const asked = await question.getText();
  const answer = await browser.$("[data-testid='model-answer']").getText();

  await clickInView(browser.$("button=Open candidate view"));
  await browser.waitUntil(async () => (await browser.getWindowHandles()).length === 2, {
    timeout: WAIT_MS,
    timeoutMsg: "no second window opened",
  });
  const candidate = (await browser.getWindowHandles()).find((handle) => handle !== main);
  await browser.switchToWindow(candidate);
  try {
    const shown = browser.$("[data-testid='candidate-question']");
    await shown.waitForDisplayed({ timeout: WAIT_MS });
    await browser.waitUntil(async () => (await shown.getText()) === asked, {
      timeout: WAIT_MS,
      timeoutMsg: "the candidate window does not show the mentor's question",
    });
    assert.equal(await browser.$$(".sidebar").length, 0, "the candidate window has no sidebar");
    const seen = await browser.$("body").getText();
    const firstLine = answer.split("\n").find((line) => line.trim().length >= 30).trim().slice(0, 50);
    assert.ok(!seen.includes(firstLine), "the candidate window never shows the model answer");
    assert.match(await browser.getTitle(), /Candidate/);
    // Its capability grants the candidate view alone: the mentor's view is refused.
    const refused = await browser.executeAsync((done) => {
      window.__TAURI_INTERNALS__
        .invoke("mentor_view", { interviewId: 1 })
        .then(() => done("allowed"), (error) => done(String(error?.message ?? error)));
    });
    assert.match(refused, /not allowed/i, "the candidate window cannot read the mentor's view");
    await saveAppScreenshot(browser, "desktop-candidate.png");
  } finally {
    await browser.switchToWindow(main);
  }
});

test("the app reopens with the window's size, position and last topic", async () => {
  await browser.execute(() => {
    location.hash = "#/topic/17";
  });
  await browser.waitUntil(async () => (await browser.$("#topic-title").getText()) === "Rate limiting", {
    timeout: WAIT_MS,
    timeoutMsg: "topic 17 did not open",
  });
  await browser.setWindowRect(60, 40, 1000, 700);
  const saved = join(dataDir, "window-state.json");
  const read = () => (existsSync(saved) ? JSON.parse(readFileSync(saved, "utf8")) : null);
  // The app writes the file shortly after each change, so even a killed app keeps it.
  await browser.waitUntil(
    async () => {
      const state = read();
      return state?.width === 1000 && state?.height === 700 && /^\/topic\/(17|rate-limiting)$/.test(state?.route);
    },
    { timeout: WAIT_MS, timeoutMsg: "window-state.json never held the new size and topic 17" },
  );

  await desktop.endSession(browser);
  browser = await desktop.launchApp();
  await browser.waitUntil(async () => (await browser.$("#topic-title").getText().catch(() => "")) === "Rate limiting", {
    timeout: WAIT_MS,
    timeoutMsg: "the app did not reopen on topic 17",
  });
  const rect = await browser.getWindowRect();
  assert.deepEqual([rect.width, rect.height], [1000, 700], "the window keeps its size");
  assert.deepEqual([rect.x, rect.y], [60, 40], "and its position");
});

/** Clicks an element of the current session after scrolling it into view. */
function clickInView(element) {
  return clickInViewOf(browser, element);
}
