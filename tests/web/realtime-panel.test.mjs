// Topic 24's Socket.IO panel in a real browser against a real `dojo serve`, following the
// topic's "Try it": sign in as Ada from the panel (the console then holds her token), connect
// with the real socket.io-client, fire the topic's demo request from the console, and see
// the `notification` event arrive in the panel's list by itself, with its payload. The
// panel's own demo button does the same. Grace, connected in another tab, gets only her own
// notifications. A handshake with a bad token or none is refused and the panel says why.
// The server and browser come from `harness.mjs`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { axeProblems, shoot, switchToDark } from "./panels.mjs";
import { TEST_MS, dojo, eventually, openPage, useDojo } from "./harness.mjs";

useDojo();

const LOADED = '.topic:not([aria-busy="true"]) .request-card';

/** The console card whose method is `method` and whose URL ends with `suffix`. */
async function card(page, method, suffix) {
  await page.locator(LOADED).first().waitFor();
  const cards = page.locator(".request-card");
  for (let i = 0; i < (await cards.count()); i++) {
    const candidate = cards.nth(i);
    const url = await candidate.locator(".rq-url").inputValue();
    const verb = await candidate.locator(".rq-method").inputValue();
    if (verb === method && url.endsWith(suffix)) return candidate;
  }
  assert.fail(`the topic has a ${method} …${suffix} request`);
}

/** Runs a console card; answers its status and its response body as JSON. */
async function runCard(target) {
  const runsBefore = Number(await target.getAttribute("data-runs"));
  await target.getByRole("button", { name: /^Run / }).click();
  await eventually(
    async () => Number(await target.getAttribute("data-runs")),
    (runs) => runs > runsBefore,
    "the console request finished",
  );
  const status = Number(await target.locator(".rq-status-line").getAttribute("data-status"));
  return { status, body: JSON.parse(await target.locator(".rq-resp-body code").innerText()) };
}

async function openTopic24(t, options) {
  const page = await openPage(t, options);
  await page.goto(`${dojo.url}#/topic/24`);
  const panel = page.locator(".socket-panel");
  await panel.waitFor();
  assert.equal(await panel.getByRole("heading", { name: "Socket.IO" }).count(), 1);
  return { page, panel };
}

/** Signs in as `name` from the panel and waits until the socket is connected. */
async function signInAndConnect(panel, name) {
  await panel.getByLabel("Sign in as").selectOption({ label: name });
  await panel.getByRole("button", { name: "Sign in & connect" }).click();
  const status = panel.locator(".sp-status");
  await eventually(() => status.getAttribute("data-phase"), (p) => p === "connected", `${name} connected`);
  assert.match(await status.innerText(), /^Connected to \/ as socket \S+\.$/);
}

/** The payloads of the `notification` events the panel has listed, newest first. */
async function notifications(panel) {
  // One read of every entry at once: read one by one, an event arriving in between shifts
  // the list under the reader (newest first) and the same entry is read twice.
  const texts = await panel
    .locator('.sp-entry[data-direction="in"][data-event="notification"] .sp-data')
    .allInnerTexts();
  return texts.map((text) => JSON.parse(text));
}

test("topic 24: a notification for the signed-in user appears live in the panel", { timeout: TEST_MS }, async (t) => {
  const { page, panel } = await openTopic24(t);
  assert.match(await panel.locator(".sp-empty").innerText(), /Nothing yet/);

  await signInAndConnect(panel, "Ada");
  const log = panel.locator(".sp-log");
  assert.equal(await log.locator('[data-event="signed in"]').count(), 1, "the sign-in is listed");
  assert.equal(await log.locator('[data-direction="info"][data-event="connect"]').count(), 1);
  assert.deepEqual(await notifications(panel), [], "nothing arrived before anything was sent");

  // The topic's "Send yourself a mention", run from the console with the token the panel's
  // sign-in left there: nothing is pressed in the panel, the event shows up by itself.
  const mention = await runCard(await card(page, "POST", "/api/v1/notifications/demo"));
  assert.equal(mention.status, 202, "the demo is published");
  assert.equal(mention.body.room, "user:1", "to Ada's room");
  const arrived = await eventually(
    () => notifications(panel),
    (list) => list.length === 1,
    "the notification listed in the panel",
  );
  assert.deepEqual(arrived[0], mention.body.notification, "the payload is the one published");
  assert.equal(arrived[0].type, "mention");
  assert.match(arrived[0].text, /^Grace Hopper mentioned you:/, "someone else did it");
  const entry = log.locator('[data-event="notification"]').first();
  assert.match(await entry.locator(".sp-name").innerText(), /^notification$/, "listed by its event name");
  assert.equal(await entry.locator(".sp-ns").innerText(), "/", "on the default namespace");

  // The panel's own demo button: a payment this time, newest first in the list.
  await panel.getByLabel("Demo notification").selectOption("payment");
  await panel.getByRole("button", { name: /^Send me one/ }).click();
  await eventually(
    () => panel.locator(".sp-demo .sp-note").innerText(),
    (text) => /answered 202: published to your room/.test(text),
    "the demo button's answer",
  );
  const both = await eventually(() => notifications(panel), (list) => list.length === 2, "the payment listed");
  assert.equal(both[0].type, "payment", "newest first");
  assert.equal(both[0].actor, "Dojo Shop");
  assert.equal(both[1].id, mention.body.notification.id, "the mention stays below it");

  await shoot(panel, "socket-panel-topic-24.png");
  assert.deepEqual(await axeProblems(page, ".socket-panel"), [], "axe, light theme");
  await switchToDark(page);
  await shoot(panel, "socket-panel-topic-24-dark.png");
  assert.deepEqual(await axeProblems(page, ".socket-panel"), [], "axe, dark theme");
});

test("topic 24: Grace, connected in another tab, receives only her own notifications", { timeout: TEST_MS }, async (t) => {
  const ada = await openTopic24(t);
  const grace = await openTopic24(t);
  await signInAndConnect(grace.panel, "Grace");
  await signInAndConnect(ada.panel, "Ada");

  // Each panel's demo button sends with its own panel's token.
  await ada.panel.getByRole("button", { name: /^Send me one/ }).click();
  const first = await eventually(() => notifications(ada.panel), (list) => list.length === 1, "Ada's mention");

  // Grace's own demo, sent after Ada's: the room relay emits in order, so once hers is in
  // her list, Ada's would be there too had it gone to the wrong room.
  await grace.panel.getByLabel("Demo notification").selectOption("reply");
  await grace.panel.getByRole("button", { name: /^Send me one/ }).click();
  const forGrace = await eventually(() => notifications(grace.panel), (list) => list.length >= 1, "Grace's reply");
  assert.equal(forGrace.length, 1, "only her own");
  assert.equal(forGrace[0].type, "reply");
  assert.match(forGrace[0].text, /^Ada Lovelace replied to your post/);

  // And the other way: a second one for Ada, sent after Grace's, arrives right behind her
  // first with nothing of Grace's between them.
  await ada.panel.getByLabel("Demo notification").selectOption("payment");
  await ada.panel.getByRole("button", { name: /^Send me one/ }).click();
  const forAda = await eventually(() => notifications(ada.panel), (list) => list.length >= 2, "Ada's payment");
  assert.deepEqual(
    forAda.map((n) => n.type),
    ["payment", "mention"],
    "Ada got her two and nothing of Grace's",
  );
  assert.equal(forAda[1].id, first[0].id);
});

test("topic 24: a handshake with a bad token, or none, is refused and the panel says why", { timeout: TEST_MS }, async (t) => {
  const { page, panel } = await openTopic24(t, { colorScheme: "dark" });
  const auth = panel.getByLabel("Handshake auth payload");
  const status = panel.locator(".sp-status");

  await auth.fill('{"token": "not-a-real-token"}');
  await panel.getByRole("button", { name: "Connect", exact: true }).click();
  await eventually(() => status.getAttribute("data-phase"), (p) => p === "refused", "the bad token refused");
  assert.match(await status.innerText(), /^Refused: unauthorized: /, "the server's reason, as sent");
  const refusal = panel.locator('.sp-entry[data-direction="error"][data-event="connect_error"]');
  await eventually(() => refusal.count(), (n) => n === 1, "the refusal listed");
  assert.match(await refusal.locator(".sp-data").innerText(), /^unauthorized: /);
  assert.equal(await panel.getByRole("button", { name: "Emit" }).isDisabled(), true, "nothing to emit on");
  assert.equal(await panel.locator('[data-direction="info"][data-event="connect"]').count(), 0, "never connected");

  await auth.fill('{"token": ""}');
  await panel.getByRole("button", { name: "Connect", exact: true }).click();
  await eventually(() => refusal.count(), (n) => n === 2, "the second refusal listed");
  assert.match(await status.innerText(), /^Refused: unauthorized: no token; connect with auth: \{ token:/);

  await shoot(panel, "socket-panel-refused-dark.png");
  assert.deepEqual(await axeProblems(page, ".socket-panel"), [], "axe, dark theme");
});
