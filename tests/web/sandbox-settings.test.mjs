// The sandbox section of Settings in Chromium against a real `dojo serve`: a bad port and
// a bad MongoDB URI are refused next to their fields, a Redis test against a closed port
// fails clearly without echoing the password, a real redis-server answers with its
// version, and saving a port moves the sandbox (the status bar's address follows), with
// the storage label naming the Redis host.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, connect } from "node:net";
import { TEST_MS, dojo, eventually, openPage, screenshot, useDojo } from "./harness.mjs";

useDojo();

const REDIS_SERVER = process.env.DOJO_TEST_REDIS_SERVER || "/usr/bin/redis-server";

/** A loopback port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A throwaway in-memory redis-server, stopped when the test ends; null without one. */
async function startRedis(t) {
  if (!existsSync(REDIS_SERVER)) {
    assert.notEqual(process.env.CI, "true", `redis-server is required in CI (${REDIS_SERVER})`);
    t.diagnostic(`no ${REDIS_SERVER}: the passing Redis test is skipped`);
    return null;
  }
  const port = await freePort();
  const child = spawn(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  t.after(() => child.kill("SIGTERM"));
  await eventually(() => accepts(port), (yes) => yes, "redis-server accepts connections");
  return `redis://127.0.0.1:${port}/0`;
}

async function openSandboxSettings(t, colorScheme) {
  const page = await openPage(t, { colorScheme });
  await page.goto(`${dojo.url}#/settings`);
  await page.getByRole("heading", { name: "Sandbox" }).waitFor();
  await page.getByLabel("Port", { exact: true }).waitFor();
  return page;
}

const address = (page) => page.locator(".sb-address").innerText();

test("bad input is refused by its field, and a saved port moves the sandbox", { timeout: TEST_MS }, async (t) => {
  const page = await openSandboxSettings(t, "light");
  const port = page.getByLabel("Port", { exact: true });
  const mongodb = page.getByLabel("MongoDB URI", { exact: true });
  const redis = page.getByLabel("Redis URL", { exact: true });
  const save = page.getByRole("button", { name: "Save & restart" });
  assert.equal(await port.inputValue(), "", "no port chosen at first");
  assert.equal(await redis.inputValue(), "");
  const before = await eventually(() => address(page), (text) => /:\d+$/.test(text), "the sandbox's address");

  // A port that is not a number is refused before anything is sent.
  await port.fill("80a");
  await save.click();
  const portError = page.locator("#sandbox-port-error");
  await eventually(() => portError.innerText(), (text) => text.includes("not a port number"), "port error");
  assert.equal(await port.getAttribute("aria-invalid"), "true");

  // A URI of the wrong kind is refused by the app, next to its field.
  await port.fill("");
  await mongodb.fill("http://ada:pw-browser@db.example/dojo");
  await save.click();
  const mongoError = page.locator("#sandbox-mongodb-error");
  await eventually(() => mongoError.innerText(), (text) => text.includes("mongodb://"), "MongoDB error");
  assert.ok(!(await mongoError.innerText()).includes("pw-browser"), "the password is not echoed");
  await mongodb.fill("");

  // Testing a Redis URL on a closed port fails quickly and says why, inline.
  const closed = await freePort();
  await redis.fill(`redis://:pw-browser@127.0.0.1:${closed}/0`);
  await page.getByRole("button", { name: "Test the Redis URL connection" }).click();
  const redisStatus = page.locator("#sandbox-redis-test");
  const failed = await eventually(() => redisStatus.innerText(), (text) => text.startsWith("Failed"), "Redis test");
  assert.match(failed, /refused/);
  assert.match(failed, new RegExp(`127\\.0\\.0\\.1:${closed}`));
  assert.ok(!failed.includes("pw-browser"), `the password is not echoed: ${failed}`);
  assert.equal(await redisStatus.getAttribute("role"), "status");
  await port.fill("80a");
  await save.click();
  await portError.waitFor();
  await screenshot(page, "settings-sandbox-errors-light.png");
  await redis.fill("");

  // Saving a free port restarts the sandbox there; the status bar follows.
  const wanted = await freePort();
  await port.fill(String(wanted));
  await save.click();
  const saved = page.getByRole("status").filter({ hasText: /^Saved\./ });
  await eventually(() => saved.innerText(), (text) => text.includes(`:${wanted}`), "saved message");
  await eventually(() => address(page), (text) => text.endsWith(`:${wanted}`), "the status bar shows the new port");
  assert.notEqual(before, `127.0.0.1:${wanted}`);
  assert.ok(await accepts(wanted), "the sandbox listens on the saved port");
  await screenshot(page, "settings-sandbox-light.png");

  // The choice survives a reload (it is kept by the app, not the page).
  await page.reload();
  await page.getByRole("heading", { name: "Sandbox" }).waitFor();
  await eventually(() => page.getByLabel("Port", { exact: true }).inputValue(), (v) => v === String(wanted), "kept");
});

test("a real Redis answers the test, and the status bar names it once saved", { timeout: TEST_MS }, async (t) => {
  const url = await startRedis(t);
  const page = await openSandboxSettings(t, "dark");
  const redis = page.getByLabel("Redis URL", { exact: true });
  const target = url ?? `redis://127.0.0.1:${await freePort()}/0`;
  await redis.fill(target);
  if (url) {
    await page.getByRole("button", { name: "Test the Redis URL connection" }).click();
    const status = page.locator("#sandbox-redis-test");
    const answer = await eventually(() => status.innerText(), (text) => text.startsWith("Connected"), "Redis test");
    assert.match(answer, /version \d+\.\d+/);
  }
  await page.getByRole("button", { name: "Save & restart" }).click();
  const host = target.replace(/^redis:\/\//, "").replace(/\/0$/, "");
  const storage = page.getByTestId("sandbox-storage");
  await eventually(() => storage.innerText(), (text) => text === `SQLite (embedded) · Redis (${host})`, "storage label");
  await screenshot(page, "settings-sandbox-dark.png");

  // Back to the sandbox's own cache, so later tests start from the defaults.
  await redis.fill("");
  await page.getByRole("button", { name: "Save & restart" }).click();
  await eventually(() => storage.innerText(), (text) => text === "SQLite (embedded)", "storage back to SQLite");
});
