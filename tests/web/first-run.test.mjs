// Backend Dojo's first run in Chromium against a real `dojo serve` with a fresh data
// folder: the guided start is offered, skipping it is remembered, the keyboard alone gets
// through it, and its choices (stack focus, interview date, time a day) shape the
// dashboard's plan and the topic page, and survive a restart of the server.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ARTIFACTS_DIR, TEST_MS, dojo, eventually, getJson, openPage, screenshot, useDojo } from "./harness.mjs";

useDojo();

/** A server started by this file in place of the harness's, stopped at the end. */
let restarted = null;

after(async () => {
  if (restarted && restarted.exitCode === null && restarted.signalCode === null) {
    const exited = new Promise((resolve) => restarted.once("exit", resolve));
    restarted.kill("SIGTERM");
    await exited;
  }
});

/**
 * Stops the running `dojo serve` and starts a new one on the same port over the same
 * data folder, as a learner who quits and comes back would.
 */
async function restartServer() {
  const current = restarted ?? dojo.child;
  if (current.exitCode === null && current.signalCode === null) {
    const exited = new Promise((resolve) => current.once("exit", resolve));
    current.kill("SIGTERM");
    await exited;
  }
  const port = new URL(dojo.url).port;
  const child = spawn(current.spawnfile, ["serve", "--port", port], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, XDG_DATA_HOME: dojo.dataDir, XDG_CONFIG_HOME: dojo.dataDir },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.includes(`web mode: ${dojo.url}`)) resolve();
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`dojo serve exited (${code ?? signal}) on restart\n${stderr}`)),
    );
  });
  restarted = child;
}

/** The learner's local date in `days` days, as YYYY-MM-DD. */
function localDatePlus(days) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

async function focusedText(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el ? `${el.tagName.toLowerCase()}:${el.getAttribute("type") ?? ""}:${el.textContent?.trim() ?? ""}` : "";
  });
}

test("a fresh data folder offers the guided start, and skipping it is remembered", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(dojo.url);
  const firstRun = page.getByTestId("first-run");
  await firstRun.waitFor();
  assert.match(await firstRun.innerText(), /Which implementation should each topic show first\?/);
  assert.match(await firstRun.innerText(), /Skip for now/);
  await screenshot(page, "first-run.png", { fullPage: false });

  await page.getByRole("button", { name: "Skip for now" }).click();
  await firstRun.waitFor({ state: "detached" });
  await eventually(() => page.evaluate(() => document.activeElement?.id), (id) => id === "today-title", "focus on the plan");
  await eventually(
    () => page.getByTestId("plan-budget").innerText(),
    (text) => /of your 30 minutes/.test(text) && /Express first/.test(text),
    "the default plan",
  );

  await page.reload();
  await page.getByTestId("today-plan").waitFor();
  await page.locator("[data-tile-id]").first().waitFor();
  assert.equal(await firstRun.count(), 0, "skipped stays skipped after a reload");
  assert.equal((await getJson("api/profile")).first_run, "skipped");
});

test("the keyboard alone gets through the guided start, and the plan uses its answers", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t, { colorScheme: "dark" });
  // Settings can bring the guided start back.
  await page.goto(`${dojo.url}#/settings`);
  await page.getByRole("button", { name: "Run the guided start again" }).click();
  await eventually(() => new URL(page.url()).hash, (hash) => hash === "" || hash === "#/", "back on the dashboard");
  const firstRun = page.getByTestId("first-run");
  await firstRun.waitFor();
  await screenshot(page, "first-run-dark.png", { fullPage: false });

  // From the top of a freshly loaded page: the skip link, then into the main content.
  await page.reload();
  await firstRun.waitFor();
  await page.locator("[data-tile-id]").first().waitFor();
  await page.keyboard.press("Tab");
  assert.match(await focusedText(page), /Skip to content/);
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab"); // the dashboard's Settings link
  await page.keyboard.press("Tab"); // Skip for now
  assert.match(await focusedText(page), /Skip for now/);
  await page.keyboard.press("Tab"); // the chosen stack
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("value")), "express");
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("value")), "rust");
  await page.keyboard.press("Tab");
  assert.match(await focusedText(page), /Next/);
  await page.keyboard.press("Enter");

  // Step 2: focus is already in the date field.
  await eventually(() => focusedText(page), (text) => text.startsWith("input:date"), "focus in the date field");
  const interview = localDatePlus(21);
  const [year, month, day] = interview.split("-");
  await page.keyboard.type(`${month}${day}${year}`);
  assert.equal(await page.locator("#fr-date").inputValue(), interview, "the date typed in");
  await page.keyboard.press("Enter");

  // Step 3: the time a day.
  await eventually(
    () => page.evaluate(() => document.activeElement?.getAttribute("name")),
    (name) => name === "fr-minutes",
    "focus on the time choices",
  );
  await page.keyboard.press("ArrowRight"); // 30 -> 45 minutes
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("value")), "45");
  await page.keyboard.press("Tab"); // Back
  await page.keyboard.press("Tab"); // Show my plan
  assert.match(await focusedText(page), /Show my plan/);
  await page.keyboard.press("Enter");

  await firstRun.waitFor({ state: "detached" });
  await eventually(() => page.evaluate(() => document.activeElement?.id), (id) => id === "today-title", "focus on the plan");
  await eventually(
    () => page.getByTestId("plan-countdown").innerText(),
    (text) => /\b21\b/.test(text) && /days until your interview/.test(text),
    "the countdown to the interview",
  );
  const budget = await page.getByTestId("plan-budget").innerText();
  assert.match(budget, /of your 45 minutes/, "the plan is sized to the time a day");
  assert.match(budget, /Rust first/);
  const planned = Number(/(\d+) of your 45/.exec(budget)[1]);
  assert.ok(planned > 0 && planned <= 45, `planned ${planned} of 45 minutes`);
  const next = page.getByTestId("today-next");
  assert.match(await next.innerText(), /Rust implementation/, "the next topic says what to read first");
  assert.match(await page.getByTestId("plan-pace").innerText(), /topics to go in 21 days/);
  await screenshot(page, "dashboard-plan-dark.png", { fullPage: false });

  const profile = await getJson("api/profile");
  assert.deepEqual(
    [profile.first_run, profile.stack_first, profile.interview_date, profile.daily_minutes],
    ["done", "rust", interview, 45],
  );

  // The topic page shows the Rust implementation before the Express template.
  await next.click();
  await page.locator("#section-rust").waitFor();
  const order = await page.locator("article section.topic-section").evaluateAll((els) => els.map((el) => el.id));
  assert.ok(order.indexOf("section-rust") < order.indexOf("section-express"), `order: ${order.join(", ")}`);
});

test("the choices survive a restart of dojo serve, and Settings changes them", { timeout: TEST_MS }, async (t) => {
  const before = await getJson("api/profile");
  await restartServer();
  assert.deepEqual(await getJson("api/profile"), before, "the profile as it was");

  const page = await openPage(t);
  await page.goto(dojo.url);
  await page.locator("[data-tile-id]").first().waitFor();
  await eventually(
    () => page.getByTestId("plan-budget").innerText(),
    (text) => /of your 45 minutes/.test(text) && /Rust first/.test(text),
    "the plan after the restart",
  );
  assert.equal(await page.getByTestId("first-run").count(), 0, "no guided start after answering it");

  await page.goto(`${dojo.url}#/settings`);
  const plan = page.getByRole("region", { name: "Study plan" });
  const rust = plan.getByRole("radio", { name: "Rust implementation" });
  await eventually(() => rust.isChecked(), (checked) => checked, "Rust first in Settings");
  assert.equal(await plan.getByLabel("Interview date").inputValue(), before.interview_date);
  assert.equal(await plan.getByLabel("Time a day").inputValue(), "45");

  // A code font and a longer day, both kept in the profile.
  await plan.getByLabel("Code font").selectOption("jetbrains-mono");
  await eventually(() => page.getByRole("status").filter({ hasText: "Saved" }).first().innerText(), (text) => /JetBrains Mono/.test(text), "font saved");
  await plan.getByLabel("Time a day").selectOption("90");
  await eventually(async () => (await getJson("api/profile")).daily_minutes, (minutes) => minutes === 90, "90 minutes saved");
  await plan.getByRole("radio", { name: "Express template" }).check();
  await eventually(async () => (await getJson("api/profile")).stack_first, (stack) => stack === "express", "Express first saved");
  await screenshot(page, "settings-plan.png");

  await page.reload();
  await page.goto(`${dojo.url}#/topic/1`);
  const code = page.locator("pre.code").first();
  await code.waitFor();
  await eventually(
    () => code.evaluate((el) => getComputedStyle(el).fontFamily),
    (family) => family.includes("JetBrains Mono"),
    "code set in the chosen font",
  );
  const order = await page.locator("article section.topic-section").evaluateAll((els) => els.map((el) => el.id));
  assert.ok(order.indexOf("section-express") < order.indexOf("section-rust"), `order: ${order.join(", ")}`);
  assert.equal((await getJson("api/profile")).code_font, "jetbrains-mono");
});

/** The console card of one "Try it" request, and a press of its Run button. */
async function runFirstCard(page) {
  const card = page.locator(".request-card").first();
  const before = Number(await card.getAttribute("data-runs"));
  await card.getByRole("button", { name: /^Run\b/ }).click();
  await eventually(
    async () => ({ runs: Number(await card.getAttribute("data-runs")), phase: await card.getAttribute("data-phase") }),
    ({ runs, phase }) => runs === before + 1 && phase !== "running",
    "the card's answer",
  );
  return card;
}

test("the status bar stops, starts and restarts the sandbox", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t, { viewport: { width: 1440, height: 900 } });
  await page.goto(`${dojo.url}#/topic/17`);
  await page.locator(".request-card").first().waitFor();
  const bar = page.getByRole("contentinfo", { name: "Sandbox status" });
  const state = bar.getByTestId("sandbox-state");
  await eventually(() => state.innerText(), (text) => text === "running", "running at first");
  const info = await getJson("api/sandbox");
  assert.equal(info.state, "running");
  const address = info.address;
  assert.match(await bar.innerText(), new RegExp(address.replace(/[.]/g, "\\.")), "the address");
  assert.match(await bar.innerText(), /SQLite \(embedded\)/, "the storage backend");
  assert.equal(await bar.getByTestId("sandbox-curl").innerText(), `curl -i ${info.base_url}/api/v1/users/1`);

  // Requests from outside the app show in the rate within a poll or two.
  for (let i = 0; i < 8; i++) await (await fetch(`${info.base_url}/api/v1/users/1`)).arrayBuffer();
  await eventually(
    () => bar.getByTestId("sandbox-rate").innerText(),
    (text) => /req\/s/.test(text) && !/^0 req\/s$/.test(text),
    "a request rate above zero",
  );
  await screenshot(page, "status-bar.png", { fullPage: false });
  await bar.screenshot({ path: join(ARTIFACTS_DIR, "status-bar-strip.png") });

  // Stop: the state says so, the port refuses, and the console explains why it cannot send.
  await bar.getByRole("button", { name: "Stop the sandbox" }).click();
  await eventually(() => state.innerText(), (text) => text === "stopped", "stopped");
  assert.equal((await getJson("api/sandbox")).state, "stopped");
  await assert.rejects(fetch(`${info.base_url}/api/v1/users/1`), "nothing listens on the sandbox's port");
  assert.equal(await bar.getByRole("button", { name: "Stop the sandbox" }).count(), 0);
  const card = await runFirstCard(page);
  assert.equal(await card.getAttribute("data-phase"), "error");
  assert.match(await card.locator(".rq-problem").innerText(), /not running/, "the console says why");
  await page.getByRole("button", { name: "Toggle theme" }).click();
  await eventually(() => page.evaluate(() => document.documentElement.dataset.theme), (v) => v === "dark", "dark theme");
  await screenshot(page, "status-bar-stopped-dark.png", { fullPage: false });
  await bar.screenshot({ path: join(ARTIFACTS_DIR, "status-bar-stopped-dark-strip.png") });

  // Start: back on the same address, and the console works again.
  await bar.getByRole("button", { name: "Start the sandbox" }).click();
  await eventually(() => state.innerText(), (text) => text === "running", "running again");
  assert.equal((await getJson("api/sandbox")).address, address, "the same port");
  await runFirstCard(page);
  assert.equal(await card.getAttribute("data-phase"), "done", "the request went through");
  await screenshot(page, "status-bar-dark.png", { fullPage: false });
  await bar.screenshot({ path: join(ARTIFACTS_DIR, "status-bar-dark-strip.png") });

  // Restart: same address, a fresh sandbox (the old traces are gone).
  await (await fetch(`${info.base_url}/api/v1/users/1`)).arrayBuffer();
  await eventually(async () => (await getJson("api/traffic")).length, (n) => n > 0, "traffic before the restart");
  await bar.getByRole("button", { name: "Restart the sandbox" }).click();
  await eventually(() => page.getByText("Sandbox restarted").count(), (n) => n === 1, "restart announced");
  await eventually(() => state.innerText(), (text) => text === "running", "running after the restart");
  const after = await getJson("api/sandbox");
  assert.equal(after.address, address, "a restart keeps the port");
  assert.equal((await getJson("api/traffic")).length, 0, "a fresh sandbox has no traffic yet");
  await runFirstCard(page);
  assert.equal(await card.getAttribute("data-phase"), "done", "the console works after a restart");
});
