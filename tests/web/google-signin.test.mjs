// Topic 7's "Sign in with Google" button in web mode, in a real browser against a real
// `dojo serve`: the button opens the flow in a popup on the sandbox (the mock Google's
// consent page), the learner allows or denies there, and the topic page learns the result
// by itself: who signed in with a working sandbox token, or the refusal. The server and
// browser come from `harness.mjs`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { axeProblems } from "./panels.mjs";
import { ARTIFACTS_DIR, TEST_MS, dojo, eventually, getJson, openPage, useDojo } from "./harness.mjs";

useDojo();

/**
 * Refills the sandbox's rate limit buckets (topic 17's reset, sent through the app's
 * console, which adds the launch token): a sign-in is six requests from the same client,
 * and the tests run them back to back, faster than a learner clicks.
 */
async function refillBuckets() {
  const response = await fetch(new URL("api/console/send", dojo.url), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      method: "POST",
      url: "{{baseUrl}}/_dojo/topics/17/reset",
      headers: [],
      body: null,
      name: null,
      variables: [],
    }),
  });
  assert.equal(response.status, 200, "the console answers");
  assert.equal((await response.json()).status, 200, "topic 17 reset");
}

/** Opens topic 7 and waits until its sign-in button can be pressed. */
async function openTopic7(t) {
  await refillBuckets();
  const page = await openPage(t);
  await page.goto(`${dojo.url}#/topic/7`);
  const panel = page.locator(".google-sign-in");
  await panel.waitFor();
  const button = panel.getByRole("button", { name: "Sign in with Google" });
  await eventually(() => button.isEnabled(), (enabled) => enabled, "the sign-in button is ready");
  return { page, panel, button };
}

/** Presses the button and answers the popup it opened, showing the consent page. */
async function startSignIn(page, button) {
  const [popup] = await Promise.all([page.context().waitForEvent("page"), button.click()]);
  await popup.waitForLoadState();
  await popup
    .getByRole("button", { name: "Allow" })
    .waitFor()
    .catch(async (err) => {
      assert.fail(`no consent page in the popup (${err.message}): ${await popup.locator("body").innerText()}`);
    });
  return popup;
}

/** The phase the panel is in (`waiting`, `signed-in`, `refused`, ...). */
function phaseOf(panel) {
  return panel.getAttribute("data-phase");
}

test("the button signs in through the consent popup and shows who signed in", { timeout: TEST_MS }, async (t) => {
  const sandbox = await getJson("api/sandbox");
  const { page, panel, button } = await openTopic7(t);
  const popup = await startSignIn(page, button);

  // The popup is the sandbox's mock Google, asking for this sandbox's client.
  assert.ok(
    popup.url().startsWith(`${sandbox.base_url}/mock/google/authorize?`),
    `the popup shows the consent page: ${popup.url()}`,
  );
  assert.match(await popup.locator("body").innerText(), /Backend Dojo sandbox/);
  assert.equal(await phaseOf(panel), "waiting", "the panel waits for the popup");
  await popup.screenshot({ path: join(ARTIFACTS_DIR, "google-signin-web-consent.png") });

  await popup.locator('input[name="account"][value="ada"]').check();
  await popup.getByRole("button", { name: "Allow" }).click();
  await popup.getByText("Signed in as Ada Lovelace").waitFor();
  assert.match(
    await popup.locator("#dojo-google-handoff").innerText(),
    /collects the result/,
    "the popup says the app collects the result",
  );

  // The topic page learns the result by itself.
  await eventually(() => phaseOf(panel), (phase) => phase === "signed-in", "the panel shows the sign-in");
  const result = await panel.locator(".gs-result").innerText();
  assert.match(result, /Signed in as Ada Lovelace \(ada@dojo\.test\)/);
  assert.match(result, /linked to the existing account by a verified address/);

  // The token it shows is the sandbox's own, and it opens the sandbox's routes.
  const token = await panel.locator(".gs-token code").getAttribute("title");
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "a JWT");
  const me = await page.evaluate(async (bearer) => {
    const response = await fetch("/api/console/send", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        method: "GET",
        url: "{{baseUrl}}/api/v1/me",
        headers: [["Authorization", `Bearer ${bearer}`]],
        body: null,
        name: null,
        variables: [],
      }),
    });
    return response.json();
  }, token);
  assert.equal(me.status, 200, me.body);
  assert.equal(JSON.parse(me.body).email, "ada@dojo.test");

  await panel.screenshot({ path: join(ARTIFACTS_DIR, "google-signin-web-result.png") });
  assert.deepEqual(await axeProblems(page, ".google-sign-in"), [], "axe, signed in");
  await popup.close();
});

test("denying on the consent page shows the refusal", { timeout: TEST_MS }, async (t) => {
  const { page, panel, button } = await openTopic7(t);
  const popup = await startSignIn(page, button);
  await popup.locator('input[name="account"][value="ada"]').check();
  await popup.getByRole("button", { name: "Deny" }).click();

  await eventually(() => phaseOf(panel), (phase) => phase === "refused", "the panel shows the refusal");
  const result = await panel.locator(".gs-result").innerText();
  assert.match(result, /Sign-in refused \(403\)/);
  assert.match(result, /access_denied/);
  assert.doesNotMatch(result, /Signed in as/);
  await panel.screenshot({ path: join(ARTIFACTS_DIR, "google-signin-web-denied.png") });
  await popup.close();
});

test("a learner who gives up stops waiting, and the next sign-in still works", { timeout: TEST_MS }, async (t) => {
  const { page, panel, button } = await openTopic7(t);
  const abandoned = await startSignIn(page, button);
  await abandoned.close();
  await panel.getByRole("button", { name: "Stop waiting" }).click();
  assert.equal(await phaseOf(panel), "cancelled");
  assert.match(await panel.locator(".gs-result").innerText(), /Sign-in cancelled/);

  await eventually(() => button.isEnabled(), (enabled) => enabled, "the button is ready again");
  const popup = await startSignIn(page, button);
  await popup.locator('input[name="account"][value="katherine"]').check();
  await popup.getByRole("button", { name: "Allow" }).click();
  await eventually(() => phaseOf(panel), (phase) => phase === "signed-in", "the second sign-in");
  assert.match(await panel.locator(".gs-result").innerText(), /katherine@dojo\.test/);
  await popup.close();
});
