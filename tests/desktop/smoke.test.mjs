// Backend Dojo's desktop app in a real window: the Tauri binary runs under its own Xvfb
// display and is driven through tauri-driver (WebKitWebDriver underneath), the way a
// learner would use it: the window opens, all 33 topics are listed, a topic opens with
// highlighted code, a mock interview opens the candidate's view as a second window, and
// the app reopens with the same window size and the last topic it showed.
//
//   DOJO_DESKTOP_BIN  the desktop binary (default ~/.cache/backend-dojo/target/debug/backend-dojo)
//   TAURI_DRIVER      tauri-driver (default ~/.cache/backend-dojo/tools/bin/tauri-driver)
//   ARTIFACTS_DIR     where screenshots go (default tests/desktop/artifacts/)

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

const HERE = dirname(fileURLToPath(import.meta.url));
const CACHE = join(homedir(), ".cache", "backend-dojo");
const APP = process.env.DOJO_DESKTOP_BIN || join(CACHE, "target", "debug", "backend-dojo");
const TAURI_DRIVER = process.env.TAURI_DRIVER || join(CACHE, "tools", "bin", "tauri-driver");
const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR || join(HERE, "artifacts");
const WAIT_MS = 30_000;

let display;
let driver;
let browser;
let driverPort;
// The app's study data goes to a scratch folder, never the learner's own.
const dataDir = mkdtempSync(join(tmpdir(), "dojo-desktop-test-"));

before(async () => {
  assert.ok(existsSync(APP), `desktop binary not found at ${APP}; run make test`);
  assert.ok(existsSync(TAURI_DRIVER), `tauri-driver not found at ${TAURI_DRIVER}; run make test`);
  display = await startXvfb();
  driverPort = await freePort();
  const nativePort = await freePort();
  driver = spawn(TAURI_DRIVER, ["--port", String(driverPort), "--native-port", String(nativePort)], {
    env: { ...process.env, DISPLAY: display.name, DOJO_DATA_DIR: dataDir },
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitForDriver(driverPort);
  browser = await launchApp();
});

/** Starts the desktop app in a new WebDriver session. */
function launchApp() {
  return remote({
    hostname: "127.0.0.1",
    port: driverPort,
    logLevel: "error",
    capabilities: {
      browserName: "wry",
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application: APP },
    },
  });
}

after(async () => {
  await browser?.deleteSession().catch(() => {});
  driver?.kill("SIGTERM");
  display?.child.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
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

  await nextFrames();
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await browser.saveScreenshot(join(ARTIFACTS_DIR, "desktop-topic-17.png"));
  // The whole X screen too: the real window with its decorations as a learner sees it.
  const dump = join(ARTIFACTS_DIR, "desktop-screen.xwd");
  execFileSync("xwd", ["-root", "-silent", "-display", display.name, "-out", dump]);
  const convert = existsSync("/usr/bin/convert") ? "/usr/bin/convert" : "convert";
  execFileSync(convert, [`xwd:${dump}`, `png:${join(ARTIFACTS_DIR, "desktop-screen.png")}`]);
  rmSync(dump);
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
  await nextFrames();
  await browser.saveScreenshot(join(ARTIFACTS_DIR, "desktop-console.png"));
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
    await nextFrames();
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await browser.saveScreenshot(join(ARTIFACTS_DIR, "desktop-candidate.png"));
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

  await browser.deleteSession();
  browser = await launchApp();
  await browser.waitUntil(async () => (await browser.$("#topic-title").getText().catch(() => "")) === "Rate limiting", {
    timeout: WAIT_MS,
    timeoutMsg: "the app did not reopen on topic 17",
  });
  const rect = await browser.getWindowRect();
  assert.deepEqual([rect.width, rect.height], [1000, 700], "the window keeps its size");
  assert.deepEqual([rect.x, rect.y], [60, 40], "and its position");
});

/** Starts Xvfb on a display number it picks itself (reported through fd 3). */
function startXvfb() {
  const child = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "ignore", "inherit", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdio[3].on("data", (chunk) => {
      text += chunk;
      if (text.includes("\n")) resolve({ child, name: `:${text.trim()}` });
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`Xvfb exited early with code ${code}`)));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls tauri-driver's status endpoint until it answers. */
async function waitForDriver(port) {
  const deadline = Date.now() + WAIT_MS;
  let delay = 20;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/status`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 500);
  }
  throw new Error(`tauri-driver did not answer on port ${port}`);
}

/**
 * Clicks an element after scrolling it to the middle of the window, clear of the status
 * bar; at once, not smoothly, so the click never lands while the page still moves.
 */
async function clickInView(element) {
  const target = await element.getElement();
  await browser.execute((el) => el.scrollIntoView({ block: "center", behavior: "instant" }), target);
  await target.click();
}

/** Waits two animation frames so a screenshot shows the settled page. */
function nextFrames() {
  return browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
}
