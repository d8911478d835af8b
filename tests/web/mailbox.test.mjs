// The sandbox's mailbox panel (topics 4, 6, 32, 33, and a dialog from the sidebar and the
// command palette) and topic 23's webhook sender, driven in a real browser against a real
// `dojo serve`. A learner's requests from the topic's console send mail; the mail shows up
// in the panel by itself, opens, and its link completes the verification or the reset
// through the console, with the trace shown. The webhook buttons fire events the receiver
// takes or refuses, each naming the check that decided. Both panels pass axe-core in the
// light and the dark theme. The server and browser come from `harness.mjs`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { axeProblems, shoot, switchToDark } from "./panels.mjs";
import {
  TEST_MS,
  dojo,
  eventually,
  getJson,
  openPage,
  useDojo,
} from "./harness.mjs";

useDojo();

const LOADED = '.topic:not([aria-busy="true"]) .request-card';

/** The console card whose method is `method` and whose URL ends with `suffix`. */
async function card(page, method, suffix, { last = false } = {}) {
  await page.locator(LOADED).first().waitFor();
  const cards = page.locator(".request-card");
  const found = [];
  for (let i = 0; i < (await cards.count()); i++) {
    const candidate = cards.nth(i);
    const url = await candidate.locator(".rq-url").inputValue();
    const verb = await candidate.locator(".rq-method").inputValue();
    if (verb === method && url.endsWith(suffix)) found.push(candidate);
  }
  assert.ok(found.length > 0, `the topic has a ${method} …${suffix} request`);
  return last ? found[found.length - 1] : found[0];
}

/** Runs a console card (with `body` in place of its own, if given); answers its status. */
async function runCard(target, body) {
  if (body !== undefined) await target.getByLabel("Body", { exact: true }).fill(body);
  const runsBefore = Number(await target.getAttribute("data-runs"));
  await target.getByRole("button", { name: /^Run / }).click();
  await eventually(
    async () => Number(await target.getAttribute("data-runs")),
    (runs) => runs > runsBefore,
    "the console request finished",
  );
  return Number(await target.locator(".rq-status-line").getAttribute("data-status"));
}

/** Sends a console request from the page, as the UI would, without a card; answers the
 * sandbox's status. */
function consoleSend(page, request) {
  return page.evaluate(async (req) => {
    const response = await fetch("/api/console/send", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ headers: [], body: null, name: null, variables: [], ...req }),
    });
    if (!response.ok) return `console ${response.status}`;
    return (await response.json()).status;
  }, request);
}

test("topic 4: the verification mail arrives by itself and its link verifies the address", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(`${dojo.url}#/topic/4`);
  const panel = page.locator(".mailbox-panel");
  await panel.waitFor();
  assert.equal(
    await panel.getByRole("heading", { name: "Mailbox" }).count(),
    1,
    "the panel has its heading",
  );
  await eventually(
    () => panel.locator('[data-state="empty"]').count(),
    (n) => n === 1,
    "an empty mailbox says so",
  );

  const email = `mailbox-${Date.now()}@dojo.test`;
  const credentials = JSON.stringify({ email, password: "frequency-hopping-1942" });
  const signup = await card(page, "POST", "/api/v1/signup");
  assert.equal(await runCard(signup, credentials), 202, "the sign-up is accepted");

  // No refresh pressed: the panel follows the sandbox by itself.
  const mails = panel.locator("[data-mail-id]");
  await eventually(() => mails.count(), (n) => n >= 1, "mails listed after the sign-up");
  const newest = mails.first();
  assert.match(await newest.innerText(), new RegExp(email.replace(/[.]/g, "\\.")), "newest first, to the new address");
  assert.match(await newest.innerText(), /\d{2}:\d{2}/, "with the time it was sent");

  await newest.click();
  const text = panel.locator("[data-mail-text]");
  await text.waitFor();
  const link = text.locator('[data-link-kind="fire"]');
  assert.equal(await link.count(), 1, "the mail's verification link is a button");
  assert.match(await link.innerText(), /\/api\/v1\/verify-email\?token=/, "it shows the link as sent");
  assert.equal(await text.locator("script, iframe, img").count(), 0, "mail text is never markup");

  // Before the link: the unverified account may not log in.
  const login = await card(page, "POST", "/api/v1/signup/login", { last: true });
  assert.equal(await runCard(login, credentials), 403, "not verified yet");

  await link.click();
  const run = panel.locator(".mb-run");
  await eventually(() => run.getAttribute("data-status"), (s) => s === "200", "the link's answer");
  await eventually(
    () => run.locator(".timeline [data-layer]").count(),
    (n) => n > 0,
    "the link's trace is drawn",
  );
  assert.match(await run.locator(".tl-summary").innerText(), /\/api\/v1\/verify-email/, "trace of the link");
  await shoot(panel, "mailbox-topic-4.png");

  assert.equal(await runCard(login, credentials), 200, "verified: the login works now");

  // The link works once.
  await link.click();
  await eventually(() => run.getAttribute("data-status"), (s) => s === "400", "the link a second time");
  assert.match(await run.locator(".mb-run-answer").innerText(), /not valid or was already used/);

  assert.deepEqual(await axeProblems(page, ".mailbox-panel"), [], "axe, light theme");
  await switchToDark(page);
  await shoot(panel, "mailbox-topic-4-dark.png");
  assert.deepEqual(await axeProblems(page, ".mailbox-panel"), [], "axe, dark theme");
});

test("topic 6: the reset link opens a new-password form and the reset goes through", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(`${dojo.url}#/topic/6`);
  const panel = page.locator(".mailbox-panel");
  await panel.waitFor();
  await eventually(
    () => panel.getAttribute("data-phase"),
    (phase) => phase === "ready",
    "the mailbox read",
  );
  const before = await panel.locator("[data-mail-id]").count();

  const forgot = await card(page, "POST", "/api/v1/password/forgot");
  assert.equal(await runCard(forgot, JSON.stringify({ email: "ada@dojo.test" })), 202);

  const mails = panel.locator("[data-mail-id]");
  await eventually(() => mails.count(), (n) => n === before + 1, "the reset mail listed");
  assert.match(await mails.first().innerText(), /ada@dojo\.test/);
  await mails.first().click();

  const link = panel.locator('[data-mail-text] [data-link-kind="reset"]');
  await link.waitFor();
  assert.match(await link.innerText(), /reset-password/, "the reset link as mailed");
  await link.click();
  const password = panel.getByLabel("New password", { exact: true });
  await eventually(
    () => password.evaluate((el) => el === document.activeElement),
    (focused) => focused,
    "the cursor goes to the new password",
  );

  // Too short is refused in the form, before anything is sent.
  await password.fill("short");
  await panel.getByRole("button", { name: "Set the new password" }).click();
  await eventually(() => panel.getByRole("alert").innerText(), (s) => /at least 12/.test(s), "rule");

  await password.fill("analytical-engine-1843");
  await panel.getByRole("button", { name: "Set the new password" }).click();
  const run = panel.locator(".mb-run");
  await eventually(() => run.getAttribute("data-status"), (s) => s === "200", "the reset's answer");
  assert.match(await run.locator(".mb-run-label").innerText(), /POST \/api\/v1\/password\/reset/);
  await eventually(
    () => run.locator('.timeline [data-layer="password_reset"]').count(),
    (n) => n === 1,
    "the reset's trace names its layer",
  );

  const login = await card(page, "POST", "/api/v1/auth/login");
  const status = await runCard(
    login,
    JSON.stringify({ email: "ada@dojo.test", password: "analytical-engine-1843" }),
  );
  assert.equal(status, 200, "the new password logs in");

  await shoot(panel, "mailbox-topic-6.png");
  // Put the seeded password back for whatever runs next on this server.
  assert.equal(await consoleSend(page, { method: "POST", url: "{{baseUrl}}/_dojo/topics/6/reset" }), 200);
});

test("topic 23: forged, valid, stale and duplicate events show what decided", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(`${dojo.url}#/topic/23`);
  const sender = page.locator(".webhook-sender");
  await sender.waitFor();
  assert.equal(await page.locator(".mailbox-panel").count(), 0, "topic 23 sends no mail");
  assert.match(await sender.innerText(), /Nothing sent yet/);

  const shots = sender.locator(".wh-shot");
  async function fire(kind) {
    const count = await shots.count();
    await sender.getByRole("button", { name: `Send ${kind}` }).click();
    const shot = sender.locator(".wh-shot").first();
    await eventually(() => shots.count(), (n) => n === count + 1, `the ${kind} shot listed`);
    await eventually(() => shot.getAttribute("data-phase"), (p) => p === "done", `${kind} answered`);
    await eventually(() => shot.getAttribute("data-decided-by"), (d) => d !== null, `${kind} decided`);
    return shot;
  }

  const forged = await fire("forged");
  assert.equal(await forged.getAttribute("data-kind"), "forged");
  assert.equal(await forged.getAttribute("data-status"), "400", "the forged event is refused");
  assert.equal(await forged.getAttribute("data-decided-by"), "webhook_signature");
  assert.match(await forged.innerText(), /Refused/);
  assert.match(await forged.locator(".wh-decided").innerText(), /no v1 signature matches/);

  const valid = await fire("valid");
  assert.equal(await valid.getAttribute("data-status"), "200", "the valid event is taken");
  assert.equal(await valid.getAttribute("data-decided-by"), "webhook_idempotency");
  assert.match(await valid.innerText(), /Accepted: its work runs after the answer/);
  const passed = await valid.locator(".wh-checks li").evaluateAll((items) =>
    items.map((li) => `${li.dataset.layer} ${li.querySelector(".wh-outcome").textContent}`),
  );
  assert.deepEqual(
    passed,
    ["webhook_signature passed", "webhook_replay_window passed", "webhook_idempotency passed"],
    "every check passed, in order",
  );

  const stale = await fire("stale");
  assert.equal(await stale.getAttribute("data-status"), "400");
  assert.equal(await stale.getAttribute("data-decided-by"), "webhook_replay_window");

  const duplicate = await fire("duplicate");
  assert.equal(await duplicate.getAttribute("data-status"), "200");
  assert.equal(await duplicate.getAttribute("data-decided-by"), "webhook_idempotency");
  assert.match(await duplicate.innerText(), /Accepted as a duplicate/);

  // The forged shot's trace opens under it, and shows the signature check cutting it short.
  const forgedShot = shots.nth(3);
  assert.equal(await forgedShot.getAttribute("data-kind"), "forged", "oldest last");
  const toggle = forgedShot.getByRole("button", { name: "Show the receiver's trace" });
  assert.equal(await toggle.getAttribute("aria-expanded"), "false");
  await toggle.focus();
  await page.keyboard.press("Enter");
  const row = forgedShot.locator('.timeline [data-layer="webhook_signature"]');
  await row.waitFor();
  assert.equal(await row.getAttribute("data-decision"), "short_circuited");
  assert.equal(
    await forgedShot.getByRole("button", { name: "Hide the receiver's trace" }).getAttribute("aria-expanded"),
    "true",
  );

  await shoot(sender, "webhook-sender.png");
  assert.deepEqual(await axeProblems(page, ".webhook-sender"), [], "axe, light theme");
  await switchToDark(page);
  await shoot(sender, "webhook-sender-dark.png");
  assert.deepEqual(await axeProblems(page, ".webhook-sender"), [], "axe, dark theme");
});

test("the sidebar and the palette open the mailbox; a stopped sandbox is said plainly", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t, { colorScheme: "dark" });
  await page.goto(`${dojo.url}#/topic/1`);
  await page.locator(LOADED).first().waitFor();

  const opener = page.getByRole("button", { name: /^Mailbox/ });
  await shoot(page.locator(".tools-nav"), "sidebar-mailbox-dark.png");
  await opener.click();
  const dialog = page.getByRole("dialog", { name: "Mailbox" });
  await dialog.waitFor();
  await eventually(() => dialog.getAttribute("data-phase"), (p) => p === "ready", "dialog read");

  // A mail sent while the dialog is open shows up in it.
  const mails = dialog.locator("[data-mail-id]");
  const before = await mails.count();
  const sent = await consoleSend(page, {
    method: "POST",
    url: "{{baseUrl}}/api/v1/password/forgot",
    headers: [["Content-Type", "application/json"]],
    body: JSON.stringify({ email: "grace@dojo.test" }),
  });
  assert.equal(sent, 202, "the reset request is accepted");
  await eventually(() => mails.count(), (n) => n === before + 1, "the new mail in the dialog");
  assert.match(await mails.first().innerText(), /grace@dojo\.test/);
  await mails.first().click();
  await dialog.locator("[data-mail-text]").waitFor();
  await shoot(dialog, "mailbox-dialog-dark.png");
  assert.deepEqual(await axeProblems(page, ".mailbox-dialog"), [], "axe on the dialog");

  // The page's Ctrl+K would open the palette behind the modal dialog: it does nothing here.
  await page.keyboard.press("Control+k");
  assert.equal(await page.locator('[aria-label="Command palette"]').count(), 0, "no palette");

  await page.keyboard.press("Escape");
  await eventually(() => dialog.count(), (n) => n === 0, "Escape closes the dialog");
  assert.ok(await opener.evaluate((el) => el === document.activeElement), "focus back on the button");

  await page.keyboard.press("Control+k");
  const search = page.getByRole("combobox", { name: "Search topics, sections and actions" });
  await search.fill("mailbox");
  await page.keyboard.press("Enter");
  await dialog.waitFor();

  // The sandbox stops: the dialog says so instead of an empty list, and its button starts
  // it again.
  const stop = await fetch(new URL("api/sandbox/stop", dojo.url), { method: "POST" });
  assert.equal(stop.status, 200, "the sandbox stops");
  let started = false;
  try {
    const alert = dialog.locator('[role="alert"][data-state="stopped"]');
    await eventually(() => alert.count(), (n) => n === 1, "the stopped state");
    assert.match(await alert.innerText(), /sandbox is stopped/);
    assert.equal(await mails.count(), 0, "no stale list under the message");
    await shoot(dialog, "mailbox-stopped-dark.png");
    await alert.getByRole("button", { name: "Start the sandbox" }).click();
    await eventually(() => getJson("api/sandbox"), (info) => info.running, "the sandbox runs again");
    started = true;
  } finally {
    if (!started) await fetch(new URL("api/sandbox/start", dojo.url), { method: "POST" });
  }
  await eventually(
    () => dialog.locator('[data-state="empty"]').count(),
    (n) => n === 1,
    "a fresh sandbox has an empty mailbox",
  );
});
