// The sandbox section of Settings in Chromium against a real `dojo serve`: a bad port and
// a bad MongoDB URI are refused next to their fields, a Redis test against a closed port
// fails clearly without echoing the password, a real redis-server answers with its
// version, and saving a port moves the sandbox (the status bar's address follows), with
// the storage label naming the Redis host. The SMTP relay: a bad URL or From is refused by
// its field, the Test button says a closed port refused and a real aiosmtpd server is
// reachable, and a saved relay comes back after a reload with its password shown as ***.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, connect } from "node:net";
import { TEST_MS, dojo, eventually, openPage, screenshot, useDojo } from "./harness.mjs";

useDojo();

const REDIS_SERVER = process.env.DOJO_TEST_REDIS_SERVER || "/usr/bin/redis-server";
/** The aiosmtpd sink the Rust delivery tests use; it writes its port to a file. */
const SMTP_SINK = join(dirname(fileURLToPath(import.meta.url)), "../../crates/sandbox/tests/support/smtp_sink.py");

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

/** The first Python that can import aiosmtpd, or null. */
function pythonWithAiosmtpd() {
  const chosen = process.env.DOJO_TEST_SMTP_PYTHON;
  const candidates = chosen ? [chosen] : ["python3", "/usr/bin/python3"];
  return candidates.find((python) => spawnSync(python, ["-c", "import aiosmtpd"], { stdio: "ignore" }).status === 0) ?? null;
}

/** A throwaway SMTP server (aiosmtpd, no login), stopped when the test ends; null without one. */
async function startSmtp(t) {
  const python = pythonWithAiosmtpd();
  if (!python) {
    assert.notEqual(process.env.CI, "true", "python3-aiosmtpd is required in CI");
    t.diagnostic("no Python with aiosmtpd: the reachable SMTP test is skipped");
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), "dojo-web-smtp-"));
  // The sink stops when its standard input closes.
  const child = spawn(python, [SMTP_SINK, dir], { stdio: ["pipe", "ignore", "ignore"] });
  t.after(() => {
    child.stdin.end();
    rmSync(dir, { recursive: true, force: true });
  });
  const portFile = join(dir, "port");
  const port = await eventually(
    () => (existsSync(portFile) ? Number(readFileSync(portFile, "utf8")) : 0),
    (value) => value > 0,
    "the SMTP server listens",
  );
  return { port, url: `smtp://127.0.0.1:${port}` };
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

test("an SMTP relay is checked, tested, saved and shown again with its password hidden", { timeout: TEST_MS }, async (t) => {
  const page = await openSandboxSettings(t, "light");
  const smtp = page.getByLabel("SMTP relay URL", { exact: true });
  const from = page.getByLabel("From address", { exact: true });
  const save = page.getByRole("button", { name: "Save & restart" });
  const testSmtp = page.getByRole("button", { name: "Test the SMTP relay URL connection" });
  const smtpStatus = page.locator("#sandbox-smtp-test");
  assert.equal(await smtp.inputValue(), "", "no relay at first");
  assert.equal(await from.inputValue(), "");
  assert.match(await from.getAttribute("placeholder"), /^Backend Dojo <sandbox@backend-dojo\.localhost>$/);

  // A URL of the wrong kind is refused by the app, next to its field, without the password.
  await smtp.fill("http://relay:pw-smtp-web@mail.example.test");
  await save.click();
  const smtpError = page.locator("#sandbox-smtp-error");
  const refused = await eventually(() => smtpError.innerText(), (text) => text.includes("smtp://"), "SMTP URL error");
  assert.match(refused, /scheme is `http`/);
  assert.ok(!refused.includes("pw-smtp-web"), `the password is not echoed: ${refused}`);
  assert.equal(await smtp.getAttribute("aria-invalid"), "true");
  assert.equal(await smtp.evaluate((input) => input === document.activeElement), true, "the field gets the focus");

  // Testing a closed port says the relay refused, without the password.
  const closed = await freePort();
  await smtp.fill(`smtp://relay:pw-smtp-web@127.0.0.1:${closed}`);
  await testSmtp.click();
  const failed = await eventually(() => smtpStatus.innerText(), (text) => text.startsWith("Failed"), "SMTP test");
  assert.match(failed, /refused the connection/);
  assert.match(failed, new RegExp(`127\\.0\\.0\\.1:${closed}`));
  assert.ok(!failed.includes("pw-smtp-web"), `the password is not echoed: ${failed}`);

  // A bad From is refused by the From field.
  await from.fill("not an address");
  await save.click();
  const fromError = page.locator("#sandbox-mailfrom-error");
  const fromRefused = await eventually(() => fromError.innerText(), (text) => text.includes("`not an address`"), "From error");
  assert.match(fromRefused, /^the From address/);
  assert.equal(await from.getAttribute("aria-invalid"), "true");
  await screenshot(page, "settings-sandbox-smtp-errors-light.png");

  // A real relay answers the handshake; the test sends no mail.
  const server = await startSmtp(t);
  if (server) {
    await smtp.fill(server.url);
    await testSmtp.click();
    const reachable = await eventually(() => smtpStatus.innerText(), (text) => text.startsWith("Reachable"), "SMTP test");
    assert.match(reachable, new RegExp(`^Reachable: 127\\.0\\.0\\.1:${server.port} took the SMTP handshake \\(no mail sent\\) in \\d+ ms\\.$`));
    await screenshot(page, "settings-sandbox-smtp-reachable-light.png");
  }

  // Saved with a password and a From: the page only ever gets the password as ***.
  const port = server?.port ?? closed;
  const secretUrl = `smtp://relay:pw-smtp-web@127.0.0.1:${port}?tls=opportunistic`;
  const shownUrl = `smtp://relay:***@127.0.0.1:${port}?tls=opportunistic`;
  await smtp.fill(secretUrl);
  await from.fill("Dojo Tests <dojo@example.test>");
  await save.click();
  const saved = page.getByRole("status").filter({ hasText: /^Saved\./ });
  const message = await eventually(() => saved.innerText(), (text) => text.includes("goes out through"), "saved message");
  assert.ok(message.includes(shownUrl), message);
  assert.equal(await smtp.inputValue(), shownUrl);

  await page.reload();
  await page.getByRole("heading", { name: "Sandbox" }).waitFor();
  await eventually(() => page.getByLabel("SMTP relay URL", { exact: true }).inputValue(), (v) => v === shownUrl, "kept, redacted");
  assert.equal(await page.getByLabel("From address", { exact: true }).inputValue(), "Dojo Tests <dojo@example.test>");
  assert.ok(!(await page.content()).includes("pw-smtp-web"), "the password never reaches the page");
  await screenshot(page, "settings-sandbox-smtp-light.png");

  // The same in the dark theme, then back to no relay so later tests start from the defaults.
  const dark = await openSandboxSettings(t, "dark");
  await eventually(() => dark.getByLabel("SMTP relay URL", { exact: true }).inputValue(), (v) => v === shownUrl, "dark page");
  await screenshot(dark, "settings-sandbox-smtp-dark.png");
  await dark.getByLabel("SMTP relay URL", { exact: true }).fill("");
  await dark.getByLabel("From address", { exact: true }).fill("");
  await dark.getByRole("button", { name: "Save & restart" }).click();
  const cleared = dark.getByRole("status").filter({ hasText: /^Saved\./ });
  const done = await eventually(() => cleared.innerText(), (text) => text.startsWith("Saved."), "cleared");
  assert.ok(!done.includes("goes out through"), done);
});
