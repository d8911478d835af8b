// Topic 7's "Sign in with Google" in the real desktop app, driven through tauri-driver
// under Xvfb: the button opens a separate native window on the sandbox's mock Google, the
// learner allows or denies there, the window closes by itself, and the topic page in the
// main window shows who signed in or the refusal. A window the learner closes before
// deciding cancels the sign-in. The display, driver and scratch study folder come from
// harness.mjs.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  WAIT_MS,
  clickInView,
  saveAppScreenshot,
  saveScreenScreenshot,
  startDesktop,
} from "./harness.mjs";

let desktop;
let browser;
let main;

before(async () => {
  desktop = await startDesktop({ dataDirPrefix: "dojo-google-window-test-" });
  browser = await desktop.launchApp();
  await browser.waitUntil(async () => (await browser.getTitle()).includes("Backend Dojo"), {
    timeout: WAIT_MS,
    timeoutMsg: "the main window never showed the Backend Dojo page",
  });
  main = await browser.getWindowHandle();
});

after(async () => {
  await desktop?.stop();
});

/**
 * Refills the sandbox's rate limit buckets (topic 17's reset, sent through the app's
 * console, which adds the launch token): each sign-in is six requests from one client,
 * and these tests run them faster than a learner clicks.
 */
async function refillBuckets() {
  const status = await browser.executeAsync((done) => {
    window.__TAURI_INTERNALS__
      .invoke("send_request", {
        request: {
          method: "POST",
          url: "{{baseUrl}}/_dojo/topics/17/reset",
          headers: [],
          body: null,
          name: null,
          variables: [],
        },
      })
      .then((answer) => done(answer.status), (error) => done(String(error?.message ?? error)));
  });
  assert.equal(status, 200, "topic 17 reset through the app's console");
}

/** The titles of the app's native windows on the test's display. */
function nativeWindowNames() {
  return execFileSync("xdotool", ["search", "--name", "Backend Dojo", "getwindowname", "%@"], {
    env: { ...process.env, DISPLAY: desktop.display.name },
    encoding: "utf8",
  })
    .split("\n")
    .filter((name) => name !== "");
}

/**
 * Asks the native window titled `title` to close, as a window manager's close button does:
 * the WM_DELETE_WINDOW message of the X11 protocol (Xvfb runs no window manager to send
 * it). WebDriver's own "close window" only removes the web view inside the window.
 */
function closeNativeWindow(title) {
  const ids = execFileSync("xdotool", ["search", "--name", title], {
    env: { ...process.env, DISPLAY: desktop.display.name },
    encoding: "utf8",
  })
    .split("\n")
    .filter((id) => /^\d+$/.test(id));
  assert.ok(ids.length > 0, `no native window is titled ${title}`);
  // libX11 through Python's ctypes: a ClientMessage of type WM_PROTOCOLS.
  const script = `
import ctypes, sys
x = ctypes.cdll.LoadLibrary("libX11.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
x.XOpenDisplay.argtypes = [ctypes.c_char_p]
x.XInternAtom.restype = ctypes.c_ulong
x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
x.XFlush.argtypes = [ctypes.c_void_p]
x.XCloseDisplay.argtypes = [ctypes.c_void_p]
class ClientMessage(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                ("message_type", ctypes.c_ulong), ("format", ctypes.c_int),
                ("data", ctypes.c_long * 5)]
class Event(ctypes.Union):
    _fields_ = [("xclient", ClientMessage), ("pad", ctypes.c_long * 24)]
display = x.XOpenDisplay(sys.argv[1].encode())
assert display, "cannot open the display"
protocols = x.XInternAtom(display, b"WM_PROTOCOLS", 0)
delete = x.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
for window in sys.argv[2:]:
    event = Event()
    event.xclient.type = 33
    event.xclient.window = int(window)
    event.xclient.message_type = protocols
    event.xclient.format = 32
    event.xclient.data[0] = delete
    x.XSendEvent(display, int(window), 0, 0, ctypes.byref(event))
x.XFlush(display)
x.XCloseDisplay(display)
`;
  execFileSync("python3", ["-c", script, desktop.display.name, ...ids]);
}

/** Opens topic 7 in the main window; answers its sign-in panel and button, ready. */
async function openTopic7() {
  await browser.switchToWindow(main);
  await refillBuckets();
  await browser.execute(() => {
    location.hash = "#/topic/7";
  });
  await browser.waitUntil(
    async () => (await browser.$("#topic-title").getText()) === "Sign in with Google",
    { timeout: WAIT_MS, timeoutMsg: "topic 7 did not open" },
  );
  const panel = browser.$(".google-sign-in");
  await panel.waitForExist({ timeout: WAIT_MS });
  const button = panel.$("button.gs-google");
  await button.waitForEnabled({ timeout: WAIT_MS });
  return { panel, button };
}

/** Presses the button and switches WebDriver to the sign-in window, on its consent page. */
async function openSignInWindow(button) {
  const before = await browser.getWindowHandles();
  await clickInView(browser, button);
  await browser.waitUntil(async () => (await browser.getWindowHandles()).length === before.length + 1, {
    timeout: WAIT_MS,
    timeoutMsg: "no sign-in window opened",
  });
  const handle = (await browser.getWindowHandles()).find((h) => !before.includes(h));
  await browser.switchToWindow(handle);
  await browser.$("button=Allow").waitForDisplayed({ timeout: WAIT_MS });
  return handle;
}

/** Chooses `account` and presses `decision` (Allow or Deny) in the sign-in window, then
 * goes back to the main window and waits for the sign-in window to be gone. */
async function decide(account, decision) {
  await browser.$(`input[name="account"][value="${account}"]`).click();
  await browser.$(`button=${decision}`).click();
  await browser.switchToWindow(main);
  await browser.waitUntil(async () => (await browser.getWindowHandles()).length === 1, {
    timeout: WAIT_MS,
    timeoutMsg: "the sign-in window did not close after the callback",
  });
}

/** Waits until the panel reaches `phase`; answers what its result says. */
async function resultOnceIn(panel, phase) {
  await browser.waitUntil(async () => (await panel.getAttribute("data-phase")) === phase, {
    timeout: WAIT_MS,
    timeoutMsg: `the panel never reached ${phase}`,
  });
  return panel.$(".gs-result").getText();
}

test("signing in opens the consent page in its own window and the main window shows who signed in", async () => {
  const { panel, button } = await openTopic7();
  const address = (await browser.$(".sb-address").getProperty("textContent")).trim();
  await openSignInWindow(button);

  // The window shows the sandbox's mock Google, asking for this sandbox's client.
  assert.ok(
    (await browser.getUrl()).startsWith(`${address}/mock/google/authorize?`),
    "the sign-in window is on the mock Google's consent page",
  );
  assert.match(await browser.$("body").getText(), /Backend Dojo sandbox/);
  assert.equal(await browser.$$(".sidebar").length, 0, "it shows the provider, not the app");
  // It shows remote pages: no command of the app answers there.
  const ipc = await browser.executeAsync((done) => {
    const bridge = window.__TAURI_INTERNALS__;
    if (!bridge) return done("no bridge");
    return bridge.invoke("sandbox_info").then(
      () => done("allowed"),
      (error) => done(String(error?.message ?? error)),
    );
  });
  assert.notEqual(ipc, "allowed", "the sign-in window cannot call the app's commands");
  await saveAppScreenshot(browser, "desktop-google-consent.png");
  // A native window of its own, with its own title, beside the main one.
  assert.ok(
    nativeWindowNames().includes("Sign in with Google — Backend Dojo"),
    `the sign-in window's title: ${nativeWindowNames()}`,
  );
  await saveScreenScreenshot(desktop.display, "desktop-google-window-screen.png");

  await decide("ada", "Allow");
  const result = await resultOnceIn(panel, "signed-in");
  assert.match(result, /Signed in as Ada Lovelace \(ada@dojo\.test\)/);
  assert.match(result, /linked to the existing account by a verified address/);
  const token = await panel.$(".gs-token code").getAttribute("title");
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "the sandbox's access token, a JWT");
  // The token opens the sandbox's routes as Ada.
  const me = await fetch(`${address}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).email, "ada@dojo.test");
  await browser.execute(() => document.querySelector(".google-sign-in")?.scrollIntoView({ block: "center" }));
  await saveAppScreenshot(browser, "desktop-google-signed-in.png");
});

test("denying on the consent page closes the window and the main window shows the refusal", async () => {
  const { panel, button } = await openTopic7();
  await openSignInWindow(button);
  await decide("ada", "Deny");
  const result = await resultOnceIn(panel, "refused");
  assert.match(result, /Sign-in refused \(403\)/);
  assert.match(result, /access_denied/);
  assert.doesNotMatch(result, /Signed in as/);
  await browser.execute(() => document.querySelector(".google-sign-in")?.scrollIntoView({ block: "center" }));
  await saveAppScreenshot(browser, "desktop-google-denied.png");
});

test("closing the sign-in window before deciding cancels the sign-in", async () => {
  const { panel, button } = await openTopic7();
  await openSignInWindow(button);
  await browser.switchToWindow(main);
  closeNativeWindow("Sign in with Google");
  await browser.waitUntil(async () => (await browser.getWindowHandles()).length === 1, {
    timeout: WAIT_MS,
    timeoutMsg: "the sign-in window did not close",
  });
  const result = await resultOnceIn(panel, "cancelled");
  assert.match(result, /Sign-in cancelled/);
  assert.match(result, /closed before the sign-in finished/);
  assert.ok(
    !nativeWindowNames().includes("Sign in with Google — Backend Dojo"),
    "the sign-in window is gone",
  );
  await browser.execute(() => document.querySelector(".google-sign-in")?.scrollIntoView({ block: "center" }));
  await saveAppScreenshot(browser, "desktop-google-cancelled.png");
});
