// What every desktop test file of Backend Dojo shares: its own Xvfb display, its own
// tauri-driver on free ports, a scratch study folder, WebDriver sessions on the real app
// binary, and screenshots. Each test file starts its own desktop (node --test runs files
// in parallel), so no two files ever share a display, a driver or study data.
//
//   DOJO_DESKTOP_BIN  the desktop binary (default ~/.cache/backend-dojo/target/debug/backend-dojo)
//   TAURI_DRIVER      tauri-driver (default ~/.cache/backend-dojo/tools/bin/tauri-driver)
//   ARTIFACTS_DIR     where screenshots go (default tests/desktop/artifacts/)
//
// Native parts of the window (menus, Save dialogs, the About box) are outside the web
// view WebDriver sees; `xdotool` drives them on the test's own display, like a learner's
// keyboard and mouse would.

import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

const HERE = dirname(fileURLToPath(import.meta.url));
const CACHE = join(homedir(), ".cache", "backend-dojo");

/** The desktop binary under test. */
export const APP = process.env.DOJO_DESKTOP_BIN || join(CACHE, "target", "debug", "backend-dojo");
/** tauri-driver, which starts the app for each WebDriver session. */
export const TAURI_DRIVER = process.env.TAURI_DRIVER || join(CACHE, "tools", "bin", "tauri-driver");
/** Where screenshots are written. */
export const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR || join(HERE, "artifacts");
/** How long any single wait may take before the test fails. */
export const WAIT_MS = 30_000;

/**
 * Starts a private desktop: an Xvfb display, tauri-driver on free ports, and a scratch
 * study folder the app (started by the driver) uses as `DOJO_DATA_DIR`.
 *
 * `env` adds variables to the driver's, and so to the app's, environment.
 * Returns `{ display, dataDir, driverPort, launchApp(), endSession(browser),
 * forget(browser), stop() }`; `display.name` is the
 * X display (":N") for tools such as xdotool and import.
 */
export async function startDesktop({ env = {}, dataDirPrefix = "dojo-desktop-test-" } = {}) {
  assert.ok(existsSync(APP), `desktop binary not found at ${APP}; run make test`);
  assert.ok(existsSync(TAURI_DRIVER), `tauri-driver not found at ${TAURI_DRIVER}; run make test`);
  const display = await startXvfb();
  // The app's study data goes to a scratch folder, never the learner's own; so do the web
  // view's storage (the remembered theme, for one) and GTK's settings and recent files, so
  // no test file sees what another one left behind.
  const dataDir = mkdtempSync(join(tmpdir(), dataDirPrefix));
  const homeDir = mkdtempSync(join(tmpdir(), "dojo-desktop-home-"));
  let driver = null;
  const sessions = new Set();
  const stop = async () => {
    // A session the test already ended refuses a second end; that is fine here.
    for (const browser of sessions) await browser.deleteSession().catch(() => {});
    driver?.kill("SIGTERM");
    display.child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(homeDir, { recursive: true, force: true });
  };
  let driverPort;
  try {
    driverPort = await freePort();
    const nativePort = await freePort();
    driver = spawn(TAURI_DRIVER, ["--port", String(driverPort), "--native-port", String(nativePort)], {
      env: {
        ...process.env,
        DISPLAY: display.name,
        DOJO_DATA_DIR: dataDir,
        XDG_DATA_HOME: join(homeDir, "data"),
        XDG_CONFIG_HOME: join(homeDir, "config"),
        ...env,
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    await waitForDriver(driverPort);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    display,
    dataDir,
    driverPort,
    /** Starts the app in a new WebDriver session; `stop()` ends any still open. */
    async launchApp() {
      const browser = await openSession(driverPort);
      sessions.add(browser);
      return browser;
    },
    /** Ends a session (its app closes) before `stop()`. */
    async endSession(browser) {
      sessions.delete(browser);
      await browser.deleteSession();
    },
    /**
     * Drops a session whose app has quit by itself: its driver is gone with it, so `stop()`
     * must not try to end it.
     */
    forget(browser) {
      sessions.delete(browser);
    },
    /** Ends the sessions, the driver and the display, and removes the scratch folders. */
    stop,
  };
}

/** Opens a WebDriver session on the app through the tauri-driver listening on `port`. */
export function openSession(port) {
  return remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "error",
    capabilities: {
      browserName: "wry",
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application: APP },
    },
  });
}

/** Starts Xvfb on a display number it picks itself (reported through fd 3). */
export function startXvfb() {
  const child = spawn(
    "Xvfb",
    ["-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
    { stdio: ["ignore", "ignore", "inherit", "pipe"] },
  );
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

/** A TCP port on loopback nobody listens on right now. */
export function freePort() {
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
export async function waitForDriver(port) {
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
export async function clickInView(browser, element) {
  const target = await element.getElement();
  await browser.execute((el) => el.scrollIntoView({ block: "center", behavior: "instant" }), target);
  await target.click();
}

/** Waits two animation frames so a screenshot shows the settled page. */
export function nextFrames(browser) {
  return browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
}

/** Saves what the app's web view shows as `ARTIFACTS_DIR/name`; returns the path. */
export async function saveAppScreenshot(browser, name) {
  await nextFrames(browser);
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  await browser.saveScreenshot(path);
  return path;
}

/**
 * Saves the whole X screen of `display` (native windows, dialogs and decorations too) as
 * the PNG `ARTIFACTS_DIR/name`; returns the path.
 */
export async function saveScreenScreenshot(display, name) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  execFileSync(convertBinary(), ["xwd:-", `png:${path}`], { input: await grabX(display, "root") });
  return path;
}

/**
 * Runs xdotool on `display` and returns what it printed. Gives up after `timeout` ms,
 * so a `search --sync` for a window that never appears fails the test instead of hanging.
 */
export function xdotool(display, args, { timeout = WAIT_MS } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      "xdotool",
      args,
      { env: { ...process.env, DISPLAY: display.name }, timeout },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed ? `gave up after ${timeout} ms` : stderr.trim() || error.message;
          reject(Object.assign(new Error(`xdotool ${args.join(" ")}: ${why}`), { exitCode: error.code, stderr }));
        } else {
          resolve(stdout.trim());
        }
      },
    );
  });
}

/**
 * Waits until a window whose title matches `name` (a regular expression) is shown on
 * `display`; returns its X window id. Hidden windows (a dialog closed earlier and kept for
 * reuse) never match.
 */
export async function waitForWindow(display, name, { timeout = WAIT_MS } = {}) {
  const found = await xdotool(display, ["search", "--sync", "--onlyvisible", "--name", name], {
    timeout,
  });
  return found.split("\n")[0];
}

/** The ids of the windows shown on `display` whose title matches `name`. */
export async function shownWindows(display, name) {
  try {
    const found = await xdotool(display, ["search", "--onlyvisible", "--name", name]);
    return found ? found.split("\n") : [];
  } catch (error) {
    // A search that matches nothing exits with 1 and says nothing; anything else is a fault.
    if (error.exitCode === 1 && !error.stderr?.trim()) return [];
    throw error;
  }
}

/** Waits until no window whose title matches `name` is shown on `display`. */
export async function waitForNoWindow(display, name, { timeout = WAIT_MS } = {}) {
  const deadline = Date.now() + timeout;
  while ((await shownWindows(display, name)).length > 0) {
    if (Date.now() > deadline) throw new Error(`a window named ${name} stayed open`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Gives `window` the keyboard focus, so the keys xdotool presses next reach it. */
export async function focusWindow(display, window) {
  await xdotool(display, ["windowfocus", "--sync", window]);
}

/** `{ x, y, width, height }` of an X window, in screen pixels. */
export async function windowGeometry(display, window) {
  const shell = await xdotool(display, ["getwindowgeometry", "--shell", window]);
  const value = (key) => Number(new RegExp(`^${key}=(-?\\d+)$`, "m").exec(shell)?.[1]);
  return { x: value("X"), y: value("Y"), width: value("WIDTH"), height: value("HEIGHT") };
}

/**
 * Saves the whole X screen of `display` as `ARTIFACTS_DIR/name` once `window` is painted
 * (not a black, still empty frame) and the screen has stopped changing between two looks;
 * returns the path.
 */
export async function saveScreenWhenPainted(display, window, name, { timeout = WAIT_MS } = {}) {
  const deadline = Date.now() + timeout;
  let previous = null;
  for (;;) {
    const painted = mostlyNonBlack(await grabX(display, window));
    const screen = await grabX(display, "root");
    if (painted && previous?.equals(screen)) {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const path = join(ARTIFACTS_DIR, name);
      execFileSync(convertBinary(), ["xwd:-", `png:${path}`], { input: screen });
      return path;
    }
    if (Date.now() > deadline) throw new Error(`the screen never settled with window ${window} painted`);
    previous = screen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * An xwd dump of a window (its id) or of the screen ("root"). ImageMagick's `import`, not
 * `xwd -root`: the latter shows GTK's dialogs as black rectangles.
 */
function grabX(display, window) {
  return new Promise((resolve, reject) => {
    execFile(
      "import",
      ["-silent", "-window", window, "xwd:-"],
      {
        // ImageMagick reads the display from the environment for a window given by id.
        env: { ...process.env, DISPLAY: display.name },
        encoding: "buffer",
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
}

/** Whether most of an xwd dump's bytes are not zero (a mapped but unpainted window is black). */
function mostlyNonBlack(dump) {
  let zeros = 0;
  for (const byte of dump) if (byte === 0) zeros += 1;
  return zeros / dump.length < 0.9;
}

function convertBinary() {
  return existsSync("/usr/bin/convert") ? "/usr/bin/convert" : "convert";
}
