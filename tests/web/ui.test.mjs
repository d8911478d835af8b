// Backend Dojo's web UI, driven in the system's Chromium against a real `dojo serve`.
//
// Each test checks what a learner sees: the topic list, the filter, an open topic with
// highlighted code, the theme switch and the keyboard, the "Try it" request console with
// its trace timeline, a topic's drills run from the page, the live traffic view and the
// status bar. Expected titles and requests are read from the same server's API, so the
// tests follow the content instead of copying it. The server and browser come from
// `harness.mjs`.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  TEST_MS,
  dojo,
  escapeRegExp,
  eventually,
  getJson,
  openPage,
  screenshot,
  useDojo,
} from "./harness.mjs";

const TOPIC_ENTRY = "[data-topic-id]";
const HIGHLIGHTED = 'pre code span[class*="hl-"]';

/** Topics in sidebar order, as the API lists them. */
let topics = [];

useDojo(async () => {
  const index = await getJson("api/topics");
  topics = index.groups.flatMap((group) => group.topics);
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

test("Ctrl+K opens the command palette and jumps to a topic", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(`${dojo.url}#/topic/${topics[0].slug}`);
  const heading = page.getByRole("heading", { level: 1 });
  await eventually(() => heading.innerText(), (text) => text === topics[0].title, "topic 1");

  await page.keyboard.press("Control+k");
  const palette = page.getByRole("dialog", { name: "Command palette" });
  const input = palette.getByRole("combobox");
  await eventually(() => input.evaluate((el) => el === document.activeElement), (yes) => yes, "focus in palette");

  // The open topic's sections are reachable too.
  const sectionRows = palette.locator('[data-kind="section"]');
  await eventually(() => sectionRows.count(), (n) => n > 0, "sections of the open topic");

  const target = topics.find((topic) => topic.id === 17);
  await input.fill(target.title.split(" ")[0].toLowerCase());
  const first = palette.getByRole("option").first();
  await eventually(() => first.innerText(), (text) => text.includes(target.title), "best match first");
  await screenshot(page, "palette.png", { fullPage: false });
  await page.keyboard.press("Enter");
  await eventually(() => heading.innerText(), (text) => text === target.title, "topic 17 opened");
  assert.equal(await palette.count(), 0, "the palette closes after running an item");

  // Escape closes it and gives focus back.
  await page.keyboard.press("Control+k");
  await eventually(() => palette.count(), (n) => n === 1, "palette open again");
  await page.keyboard.press("Escape");
  await eventually(() => palette.count(), (n) => n === 0, "palette closed by Escape");
});

test("topic 17's console runs until the rate limiter answers 429", { timeout: TEST_MS }, async (t) => {
  const base = await sandboxBase();
  const view = await getJson("api/topics/17");
  // The sandbox's own tooling (a reset among the requests, say) never spends a token.
  const runnable = view.try_it.filter((request) => !request.url.includes("/_dojo/"));
  assert.ok(runnable.length > 0, "topic 17 has Try it requests that reach the rate limiter");
  await resetTopic(base, 17); // a full bucket: the burst, then the 429

  const page = await openPage(t, { viewport: { width: 1440, height: 1000 } });
  await page.goto(`${dojo.url}#/topic/17`);
  await eventually(
    () => page.getByRole("heading", { level: 1 }).innerText(),
    (text) => text === view.summary.title,
    "title of topic 17",
  );

  let limited = null;
  for (let round = 0; round < 40 && !limited; round++) {
    for (const request of runnable) {
      const card = tryCard(page, request.index);
      if ((await runCard(card)) === 429) {
        limited = card;
        break;
      }
    }
  }
  assert.ok(limited, "a 429 came back within 40 rounds of the topic's requests");

  const pill = limited.locator(".rq-status-line .status-pill");
  assert.equal((await pill.innerText()).trim(), "429", "the response shows the status");
  const timeline = limited.getByRole("region", { name: "Trace timeline" });
  const answered = timeline.locator('.tl-row[data-answered="true"]');
  await eventually(() => answered.count(), (n) => n === 1, "one layer marked as the one that answered");
  assert.equal(await answered.getAttribute("data-layer"), "rate_limit", "the rate limiter answered");
  assert.equal(await answered.getAttribute("data-decision"), "short_circuited");
  assert.match(await answered.innerText(), /answered 429/, "its badge says what it answered");
  assert.ok(await answered.isVisible(), "the answering layer is on screen");
  const rows = timeline.locator(".tl-row");
  const names = await rows.evaluateAll((els) => els.map((el) => el.dataset.layer));
  assert.equal(names.at(-1), "rate_limit", "no layer inside the rate limiter saw the request");
  const colours = await rows.evaluateAll((els) =>
    els.map((el) => getComputedStyle(el.querySelector(".tl-bar")).backgroundColor),
  );
  assert.ok(
    colours.slice(0, -1).every((colour) => colour !== colours.at(-1)),
    "the short-circuiting layer's bar stands out from the layers that passed",
  );

  await limited.evaluate((el) => el.scrollIntoView({ block: "start", behavior: "instant" }));
  await screenshot(page, "topic-17-console.png", { fullPage: false });
  await page.getByRole("button", { name: "Toggle theme" }).click();
  await eventually(
    () => page.evaluate(() => document.documentElement.dataset.theme),
    (value) => value === "dark",
    "dark theme",
  );
  await screenshot(page, "topic-17-console-dark.png", { fullPage: false });
});

test("topic 1: log in, then /me answers 200 through the handler", { timeout: TEST_MS }, async (t) => {
  const base = await sandboxBase();
  const view = await getJson("api/topics/1");
  const login = view.try_it.find((request) => /\/auth\/login\b/.test(request.url));
  const me = view.try_it.find((request) => /\/me\b/.test(request.url));
  assert.ok(login && me, "topic 1's Try it has a login and a /me request");
  await resetTopic(base, 17); // earlier tests may have emptied this client's bucket

  const page = await openPage(t);
  await page.goto(`${dojo.url}#/topic/1`);
  await eventually(
    () => page.getByRole("heading", { level: 1 }).innerText(),
    (text) => text === view.summary.title,
    "title of topic 1",
  );

  // Ctrl+Enter from the URL field runs the card, like the Run button.
  assert.equal(await runCard(tryCard(page, login.index), { keyboard: true }), 200, "login answers 200");
  const card = tryCard(page, me.index);
  assert.equal(await runCard(card), 200, "/me with the captured token answers 200");
  assert.match(await card.locator(".rq-resp-body").innerText(), /\S/, "the body is shown");

  const timeline = card.getByRole("region", { name: "Trace timeline" });
  const rows = timeline.locator(".tl-row");
  await eventually(() => rows.count(), (n) => n > 1, "layers in the timeline");
  const layers = await rows.evaluateAll((els) =>
    els.map((el) => ({ layer: el.dataset.layer, decision: el.dataset.decision })),
  );
  assert.equal(layers.at(-1).layer, "handler", "the timeline ends in the handler");
  assert.ok(
    layers.every((layer) => layer.decision === "passed"),
    `every layer passed the request on: ${JSON.stringify(layers)}`,
  );
  assert.equal(
    await rows.last().getAttribute("data-answered"),
    "true",
    "the handler is marked as the one that answered",
  );
  assert.match(await rows.last().innerText(), /answered 200/);

  // The Rust section lights up the line of the auth extractor that let the request in.
  const verify = page.locator('pre.code[data-region="jwt-verify"]');
  await eventually(() => verify.getAttribute("data-ran-lines"), (lines) => Boolean(lines), "jwt-verify lines marked");
  const first = Number(await verify.getAttribute("data-first-line"));
  const ran = (await verify.getAttribute("data-ran-lines")).split(",").map(Number);
  const source = (await verify.locator("code").innerText()).split("\n");
  assert.ok(
    ran.some((line) => /decision = "passed"/.test(source[line - first])),
    `a marked line is the passing decision: ${ran.map((line) => source[line - first]).join(" | ")}`,
  );
  assert.match(await verify.locator(".ran-caption").innerText(), /auth: decision: passed/);
  assert.equal(await verify.locator(".ran-line").count(), ran.length, "one bar per line");
  await verify.evaluate((el) => el.scrollIntoView({ block: "center", behavior: "instant" }));
  await screenshot(page, "topic-1-ran-lines.png", { fullPage: false });
});

test("topic 29's drills all pass against the embedded sandbox", { timeout: TEST_MS }, async (t) => {
  const drills = await getJson("api/topics/29/drills");
  assert.ok(drills.length > 0, "topic 29 has drills");
  const title = topics.find((topic) => topic.id === 29).title;

  const page = await openPage(t);
  await page.goto(`${dojo.url}#/topic/29`);
  await eventually(
    () => page.getByRole("heading", { level: 1 }).innerText(),
    (text) => text === title,
    "title of topic 29",
  );

  // The panel lists every drill by title before anything runs.
  const panel = page.locator("section.drills");
  const items = panel.locator(".drill");
  await eventually(() => items.count(), (n) => n === drills.length, "drills in the panel");
  const titles = await items.locator(".drill-title").allInnerTexts();
  assert.deepEqual(titles, drills.map((drill) => drill.title), "the panel lists their titles");

  await panel.getByRole("button", { name: "Run drills" }).click();
  const score = panel.locator(".drills-score");
  await eventually(() => score.count(), (n) => n === 1, "the scoreboard", 60_000);
  assert.equal(
    await score.innerText(),
    `${drills.length} of ${drills.length} drills passed`,
    "the scoreboard says every drill passed",
  );
  const outcomes = await items.evaluateAll((els) => els.map((el) => el.dataset.outcome));
  assert.deepEqual(outcomes, drills.map(() => "passed"), "each drill is marked passed");
  assert.ok(!(await panel.innerText()).includes("✘"), "no ✘ anywhere in the panel");
  assert.ok(await panel.locator(".drill-step").count() >= drills.length, "steps are listed");
  assert.match(await panel.locator(".drill-step").first().innerText(), /GET[\s\S]*http:\/\/[\s\S]*\d{3}/);

  await score.evaluate((el) => el.scrollIntoView({ block: "start", behavior: "instant" }));
  await screenshot(page, "drills.png", { fullPage: false });
});

test("the traffic view shows a request sent from outside the app", { timeout: TEST_MS }, async (t) => {
  const info = await getJson("api/sandbox");
  const base = info.base_url.replace(/\/+$/, "");
  await resetTopic(base, 17);

  const page = await openPage(t, { viewport: { width: 1440, height: 1000 } });
  await page.goto(dojo.url);

  // The status bar names the sandbox and its state.
  const bar = page.getByRole("contentinfo", { name: "Sandbox status" });
  await eventually(() => bar.innerText(), (text) => text.includes(info.base_url), "sandbox address");
  assert.match(await bar.innerText(), /running/, "the status bar says the sandbox runs");
  assert.ok(await bar.getByRole("button", { name: "Copy the sandbox address" }).isVisible());

  await page.getByRole("navigation", { name: "Sandbox" }).getByRole("link", { name: /Traffic/ }).click();
  assert.equal(new URL(page.url()).hash, "#/traffic");
  await eventually(
    () => page.getByRole("heading", { level: 1 }).innerText(),
    (text) => text === "Traffic",
    "the traffic view",
  );
  await eventually(() => page.locator(".feed").innerText(), (text) => /Live/.test(text), "live feed");

  // A plain fetch from this test process: the app never sees it leave.
  const outside = await fetch(`${base}/api/v1/users/1`, { headers: { Accept: "application/json" } });
  await outside.arrayBuffer();
  const id = outside.headers.get("x-request-id");
  assert.ok(id, "the sandbox echoes a request id");
  const row = page.locator(`tr[data-trace-id="${id}"]`);
  await eventually(() => row.count(), (n) => n === 1, "the outside request in the table", 5_000);
  assert.match(await row.innerText(), /GET[\s\S]*\/api\/v1\/users\/1/, "method and path");
  assert.match(await row.innerText(), new RegExp(String(outside.status)), "its status");
  assert.equal(
    await page.locator("tbody tr").first().getAttribute("data-trace-id"),
    id,
    "the newest request is on top",
  );

  // Filters: the text narrows, a status class that does not match hides it.
  const filter = page.getByRole("searchbox", { name: "Filter requests" });
  await filter.fill("users/1");
  await eventually(() => row.isVisible(), (yes) => yes, "row matching the text filter");
  const otherClass = outside.status >= 400 && outside.status < 500 ? "2xx" : "4xx";
  await page.getByRole("radio", { name: otherClass }).check();
  await eventually(() => row.count(), (n) => n === 0, `row hidden by the ${otherClass} filter`);
  await page.getByRole("radio", { name: "All" }).check();
  await eventually(() => row.count(), (n) => n === 1, "row back with all statuses");
  await filter.fill("");

  await row.getByRole("button").click();
  const timeline = page.getByRole("region", { name: "Trace timeline" });
  await eventually(() => timeline.innerText(), (text) => text.includes("/api/v1/users/1"), "trace");
  await eventually(() => timeline.locator(".tl-row").count(), (n) => n > 0, "layers of the trace");
  assert.match((await row.getAttribute("class")) ?? "", /\bselected\b/, "the open row is marked");

  await page.evaluate(() => window.scrollTo({ top: 0, behavior: "instant" }));
  await screenshot(page, "traffic.png");
  await page.getByRole("button", { name: "Toggle theme" }).click();
  await eventually(
    () => page.evaluate(() => document.documentElement.dataset.theme),
    (value) => value === "dark",
    "dark theme",
  );
  await screenshot(page, "traffic-dark.png");
});

// ---------------------------------------------------------------------------------------

/** The sandbox's address without a trailing slash, as the app reports it. */
async function sandboxBase() {
  const info = await getJson("api/sandbox");
  assert.ok(info.running && info.base_url, `the sandbox runs: ${JSON.stringify(info)}`);
  return info.base_url.replace(/\/+$/, "");
}

/**
 * Puts a topic's sandbox state back to its seed. The sandbox's tooling wants the launch
 * token, which only the app knows, so the reset goes through the app's request console.
 */
async function resetTopic(base, id) {
  const url = `${base}/_dojo/topics/${id}/reset`;
  const direct = await fetch(url, { method: "POST" });
  await direct.arrayBuffer();
  assert.equal(direct.status, 401, "without the launch token the sandbox refuses");
  const response = await fetch(new URL("api/console/send", dojo.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ method: "POST", url, headers: [], body: null, name: null, variables: [] }),
  });
  const answer = await response.json();
  assert.equal(answer.status, 200, `POST /_dojo/topics/${id}/reset: ${JSON.stringify(answer)}`);
}

/** The console card of one "Try it" request. */
function tryCard(page, index) {
  return page.locator(`.request-card[data-try-index="${index}"]`);
}

/**
 * Presses the card's Run button (or Ctrl+Enter inside the card) and waits for the answer;
 * returns the status it shows, or null when the console reported a problem instead.
 */
async function runCard(card, { keyboard = false } = {}) {
  const before = Number(await card.getAttribute("data-runs"));
  if (keyboard) {
    await card.getByRole("textbox", { name: "URL" }).focus();
    await card.page().keyboard.press("Control+Enter");
  } else {
    await card.getByRole("button", { name: /^Run\b/ }).click();
  }
  await eventually(
    async () => ({ runs: Number(await card.getAttribute("data-runs")), phase: await card.getAttribute("data-phase") }),
    ({ runs, phase }) => runs === before + 1 && phase !== "running",
    "the card's answer",
  );
  if ((await card.getAttribute("data-phase")) === "error") return null;
  return Number(await card.locator(".rq-status-line").getAttribute("data-status"));
}
