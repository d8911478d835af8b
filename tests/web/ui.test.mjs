// Backend Dojo's web UI, driven in the system's Chromium against a real `dojo serve`.
//
// Each test checks what a learner sees: the topic list, the filter, an open topic with
// highlighted code, the theme switch and the keyboard. Expected titles are read from the
// same server's API, so the tests follow the content instead of copying it.
//
//   DOJO_BIN       the dojo binary (default ~/.cache/backend-dojo/target/debug/dojo)
//   CHROMIUM       the browser (default /usr/bin/chromium); nothing is ever downloaded
//   ARTIFACTS_DIR  where screenshots go (default tests/web/artifacts/)

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const DOJO_BIN =
  process.env.DOJO_BIN || join(homedir(), ".cache", "backend-dojo", "target", "debug", "dojo");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR || join(HERE, "artifacts");
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const WAIT_MS = 15_000; // how long any one expectation may take to come true
const STARTUP_MS = 60_000; // a debug build's first start can be slow
const TEST_MS = 90_000;

const TOPIC_ENTRY = "[data-topic-id]";
const HIGHLIGHTED = 'pre code span[class*="hl-"]';

/** @type {{ child: import("node:child_process").ChildProcess, url: string, dataDir: string }} */
let dojo;
/** @type {import("playwright-core").Browser} */
let browser;
/** Topics in sidebar order, as the API lists them. */
let topics = [];

before(async () => {
  dojo = await startDojo();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const index = await getJson("api/topics");
  topics = index.groups.flatMap((group) => group.topics);
});

after(async () => {
  await browser?.close();
  if (dojo) {
    await stopDojo(dojo.child);
    await rm(dojo.dataDir, { recursive: true, force: true });
  }
});

test("the sidebar lists all 33 topics, grouped", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(dojo.url);

  const entries = page.locator(TOPIC_ENTRY);
  await eventually(() => entries.count(), (n) => n === 33, "number of topics in the sidebar");
  const ids = await entries.evaluateAll((els) => els.map((el) => Number(el.dataset.topicId)));
  assert.deepEqual(ids, topics.map((topic) => topic.id), "sidebar order follows the index");
  assert.equal(topics.length, 33, "the API lists 33 topics");

  const nav = page.getByRole("navigation", { name: "Topics" });
  assert.equal(await nav.getByRole("link").count(), 33, "each topic is a link in the nav");
  const firstEntry = page.locator(`${TOPIC_ENTRY}[data-topic-id="1"]`);
  assert.match(await firstEntry.innerText(), new RegExp(escapeRegExp(topics[0].title)));
  assert.ok(await nav.getByRole("heading").count() >= 2, "topics sit under group headings");
});

test("typing in the filter narrows the list", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(dojo.url);
  const entries = page.locator(TOPIC_ENTRY);
  await eventually(() => entries.count(), (n) => n === 33, "topics before filtering");

  const filter = page.getByRole("searchbox", { name: "Filter topics" });
  await filter.fill("rate");
  await eventually(() => entries.count(), (n) => n > 0 && n < 10, "topics matching 'rate'");
  const rateLimiting = page.locator(`${TOPIC_ENTRY}[data-topic-id="17"]`);
  assert.ok(await rateLimiting.isVisible(), "rate limiting is still listed");
  assert.match(await rateLimiting.innerText(), /rate/i);

  await filter.fill("no topic is called this");
  await eventually(() => entries.count(), (n) => n === 0, "topics matching nonsense");
  assert.ok(await page.getByText(/No topic matches/).isVisible(), "an empty filter says so");

  await filter.press("Escape");
  await eventually(() => filter.inputValue(), (v) => v === "", "filter text after Escape");
  await eventually(() => entries.count(), (n) => n === 33, "topics after clearing");
});

test("opening topic 1 shows its title and highlighted code", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(dojo.url);
  await page.locator(`${TOPIC_ENTRY}[data-topic-id="1"]`).click();

  const title = topics[0].title;
  const heading = page.getByRole("heading", { level: 1 });
  await eventually(() => heading.innerText(), (text) => text === title, "title of topic 1");
  await eventually(() => page.locator(HIGHLIGHTED).count(), (n) => n > 0, "highlighted spans");
  assert.equal(new URL(page.url()).hash, `#/topic/${topics[0].slug}`, "the address names it");
  assert.equal(
    await page.locator(`${TOPIC_ENTRY}[data-topic-id="1"]`).getAttribute("aria-current"),
    "page",
    "the sidebar marks the open topic",
  );
  assert.ok(await page.locator("article h2").count() > 0, "its sections have headings");
  await eventually(
    () => page.locator("style#dojo-syntax").count(),
    (n) => n === 1,
    "the syntax stylesheet is loaded once",
  );

  // A reload keeps the learner on the same topic.
  await page.reload();
  await eventually(() => heading.innerText(), (text) => text === title, "title after reload");
});

test("an unknown topic shows the server's explanation", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  const missing = "no-such-topic-here";
  const response = await fetch(new URL(`api/topics/${missing}`, dojo.url));
  assert.ok(response.status >= 400 && response.status < 500, "the API refuses it with a 4xx");
  const problem = await response.json();
  assert.ok(problem.detail, "the problem has a detail to show");

  await page.goto(`${dojo.url}#/topic/${missing}`);
  const alert = page.getByRole("alert");
  await eventually(() => alert.innerText(), (text) => text.includes(problem.detail), "alert");
});

test("the theme toggle switches light and dark", { timeout: TEST_MS }, async (t) => {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const page = await openPage(t, { colorScheme: "light" });
  await page.goto(`${dojo.url}#/topic/1`);
  await eventually(
    () => page.getByRole("heading", { level: 1 }).innerText(),
    (text) => text === topics[0].title,
    "title of topic 1",
  );
  await eventually(() => page.locator(HIGHLIGHTED).count(), (n) => n > 0, "highlighted spans");
  await eventually(() => page.locator("style#dojo-syntax").count(), (n) => n === 1, "syntax css");

  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const tokenColours = () =>
    page.locator(HIGHLIGHTED).evaluateAll((spans) => spans.map((s) => getComputedStyle(s).color));

  await eventually(theme, (value) => value === "light", "theme on a light system");
  const lightBackground = await background();
  const lightTokens = await tokenColours();
  await screenshot(page, "topic-1-light.png");

  await page.getByRole("button", { name: "Toggle theme" }).click();
  await eventually(theme, (value) => value === "dark", "theme after the toggle");
  await eventually(background, (value) => value !== lightBackground, "page background");
  await eventually(
    tokenColours,
    (colours) => colours.join() !== lightTokens.join(),
    "code colours follow the theme",
  );
  await screenshot(page, "topic-1-dark.png");

  // The choice outlives a reload, and a second click brings the light theme back.
  await page.reload();
  await eventually(theme, (value) => value === "dark", "theme after reload");
  await page.getByRole("button", { name: "Toggle theme" }).click();
  await eventually(theme, (value) => value === "light", "theme after the second toggle");
  await eventually(background, (value) => value === lightBackground, "light background again");
});

test("with no choice stored the theme follows the system", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t, { colorScheme: "dark" });
  await page.goto(dojo.url);
  await eventually(
    () => page.evaluate(() => document.documentElement.dataset.theme),
    (value) => value === "dark",
    "theme on a dark system",
  );
});

test("keyboard: / focuses the filter, arrows open topics", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(`${dojo.url}#/topic/${topics[0].slug}`);
  const heading = page.getByRole("heading", { level: 1 });
  await eventually(() => heading.innerText(), (text) => text === topics[0].title, "topic 1");

  const filter = page.getByRole("searchbox", { name: "Filter topics" });
  const filterFocused = () => filter.evaluate((el) => el === document.activeElement);
  await page.keyboard.press("/");
  await eventually(filterFocused, (yes) => yes === true, "filter focused after /");
  assert.equal(await filter.inputValue(), "", "the slash is not typed into the filter");

  await page.keyboard.press("ArrowDown");
  await eventually(() => heading.innerText(), (text) => text === topics[1].title, "next topic");
  assert.equal(new URL(page.url()).hash, `#/topic/${topics[1].slug}`);
  assert.ok(await filterFocused(), "focus stays in the filter while stepping");

  await page.keyboard.press("ArrowUp");
  await eventually(() => heading.innerText(), (text) => text === topics[0].title, "back to 1");

  // Arrows walk the filtered list: the first match opens first.
  await page.keyboard.type("rate");
  const visible = page.locator(TOPIC_ENTRY);
  await eventually(() => visible.count(), (n) => n > 0 && n < 33, "filtered topics");
  const firstMatchId = Number(await visible.first().getAttribute("data-topic-id"));
  const firstMatch = topics.find((topic) => topic.id === firstMatchId);
  await page.keyboard.press("ArrowDown");
  await eventually(() => heading.innerText(), (text) => text === firstMatch.title, "first match");

  await page.keyboard.press("Escape");
  await eventually(() => filter.inputValue(), (v) => v === "", "filter cleared by Escape");
  await eventually(() => visible.count(), (n) => n === 33, "all topics back");
});

// ---------------------------------------------------------------------------------------

async function startDojo() {
  if (!existsSync(DOJO_BIN)) {
    throw new Error(`No dojo binary at ${DOJO_BIN}: build it, or point DOJO_BIN at it.`);
  }
  // Any study data the server writes goes to a scratch directory, not the learner's own.
  const dataDir = await mkdtemp(join(tmpdir(), "dojo-web-test-"));
  const child = spawn(DOJO_BIN, ["serve", "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, XDG_DATA_HOME: dataDir, XDG_CONFIG_HOME: dataDir },
  });

  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`dojo serve printed no address within ${STARTUP_MS} ms\n${stderr}`));
    }, STARTUP_MS);
    // Reading every line also keeps the pipe drained for as long as the server runs.
    createInterface({ input: child.stdout }).on("line", (line) => {
      const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(line);
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`dojo serve exited (${code ?? signal}) before it was ready\n${stderr}`));
    });
  });
  return { child, url, dataDir };
}

async function stopDojo(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(force);
}

async function getJson(path) {
  const response = await fetch(new URL(path, dojo.url));
  assert.equal(response.status, 200, `GET /${path}`);
  return response.json();
}

/** A fresh browser context per test, so stored themes never leak between tests. */
async function openPage(t, { colorScheme = "light" } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    colorScheme,
  });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const crashes = [];
  const elsewhere = [];
  page.on("pageerror", (err) => crashes.push(err));
  // Everything works offline: the page may only load from the server that served it.
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(dojo.url) && !url.startsWith("data:")) elsewhere.push(url);
  });
  t.after(async () => {
    await context.close();
    assert.deepEqual(crashes.map(String), [], "the page threw no uncaught errors");
    assert.deepEqual(elsewhere, [], "the page loaded nothing from other origins");
  });
  return page;
}

async function screenshot(page, name) {
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(ARTIFACTS_DIR, name), fullPage: true });
}

/**
 * Reads a value until it satisfies `check`, like an expect-style poll: the UI updates
 * asynchronously, so every assertion about the page waits for it to settle.
 */
async function eventually(read, check, what, timeout = WAIT_MS) {
  const deadline = Date.now() + timeout;
  let last;
  for (let attempt = 0; ; attempt++) {
    try {
      last = await read();
      if (check(last)) return last;
    } catch (err) {
      last = `error: ${err.message}`;
    }
    if (Date.now() > deadline) {
      assert.fail(`${what}: still ${JSON.stringify(last)} after ${timeout} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(25 * 2 ** attempt, 250)));
  }
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
