// What every browser test of Backend Dojo's web UI shares: a real `dojo serve` started
// for the test file (study data in a scratch directory), the system's Chromium, a fresh
// page per test that fails the test on uncaught errors or requests to other origins,
// screenshots, and polling assertions.
//
//   DOJO_BIN       the dojo binary (default ~/.cache/backend-dojo/target/debug/dojo)
//   CHROMIUM       the browser (default /usr/bin/chromium); nothing is ever downloaded
//   ARTIFACTS_DIR  where screenshots go (default tests/web/artifacts/)

import { after, before } from "node:test";
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
export const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR || join(HERE, "artifacts");
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

export const WAIT_MS = 15_000; // how long any one expectation may take to come true
const STARTUP_MS = 60_000; // a debug build's first start can be slow
export const TEST_MS = 90_000;

/**
 * The running server, set by `useDojo()` before the file's tests run.
 * @type {{ child: import("node:child_process").ChildProcess, url: string, dataDir: string }}
 */
export let dojo;
/** @type {import("playwright-core").Browser} */
export let browser;

/**
 * Starts `dojo serve` and Chromium before the file's tests and stops both after them.
 * `ready` runs once both are up (a file's own setup belongs there: root-level hooks of
 * one file are not guaranteed to wait for each other).
 */
export function useDojo(ready = async () => {}) {
  before(async () => {
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    dojo = await startDojo();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    await ready();
  });

  after(async () => {
    await browser?.close();
    if (dojo) {
      await stopDojo(dojo.child);
      await rm(dojo.dataDir, { recursive: true, force: true });
    }
  });
}

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
      // The sandbox prints its own address too; the UI is the "web mode" one.
      const found = /web mode: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
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

export async function getJson(path) {
  const response = await fetch(new URL(path, dojo.url));
  assert.equal(response.status, 200, `GET /${path}`);
  return response.json();
}

/** A fresh browser context per test, so stored themes never leak between tests. */
export async function openPage(t, { colorScheme = "light", viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, reducedMotion: "reduce" });
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

/**
 * A whole-page screenshot is taken by growing the window to the page's height, so the
 * status bar, fixed to the bottom of the window, lands at the bottom of the picture.
 */
export async function screenshot(page, name, { fullPage = true } = {}) {
  await page.evaluate(() => document.fonts.ready);
  const path = join(ARTIFACTS_DIR, name);
  const viewport = page.viewportSize();
  if (!fullPage || !viewport) {
    await page.screenshot({ path });
    return;
  }
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.max(height, viewport.height) });
  try {
    await page.screenshot({ path });
  } finally {
    await page.setViewportSize(viewport);
  }
}

/**
 * Reads a value until it satisfies `check`, like an expect-style poll: the UI updates
 * asynchronously, so every assertion about the page waits for it to settle.
 */
export async function eventually(read, check, what, timeout = WAIT_MS) {
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

export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
