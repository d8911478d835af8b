// Backend Dojo's study screens in Chromium against a real `dojo serve` with a scratch
// study database: the dashboard's progress grid, flashcard review by keyboard alone,
// notes saved as you type and found again through the command palette.

import { test } from "node:test";
import assert from "node:assert/strict";
import { TEST_MS, dojo, eventually, openPage, screenshot, useDojo } from "./harness.mjs";

useDojo();

/** Opens a topic page and waits for its title. */
async function openTopicPage(page, id) {
  await page.goto(`${dojo.url}#/topic/${id}`);
  const heading = page.getByRole("heading", { level: 1 });
  await eventually(() => heading.getAttribute("id"), (value) => value === "topic-title", `topic ${id}`);
  // The progress control appears once the app has recorded the visit.
  await page.getByRole("radiogroup", { name: "Your progress on this topic" }).waitFor();
}

test("the dashboard grid follows the learner's progress", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(dojo.url);
  const tiles = page.locator("[data-tile-id]");
  await eventually(() => tiles.count(), (n) => n === 33, "33 topic tiles");
  const tile = page.locator('[data-tile-id="4"]');
  await eventually(() => tile.getAttribute("data-state"), (s) => s === "not-started", "topic 4 fresh");

  await openTopicPage(page, 4);
  await page.getByRole("radio", { name: "Confident" }).click();
  await eventually(
    () => page.getByRole("radio", { name: "Confident" }).getAttribute("aria-checked"),
    (value) => value === "true",
    "confident chosen",
  );

  await page.goto(dojo.url);
  await eventually(() => tile.getAttribute("data-state"), (s) => s === "confident", "topic 4 confident");
  await screenshot(page, "dashboard.png");
});

test("five flashcards reviewed with the keyboard alone", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  // Opening a topic puts its cards in the review queue.
  await openTopicPage(page, 1);
  await page.goto(dojo.url);
  const reviewsDue = page.getByTestId("today-reviews");
  await eventually(() => reviewsDue.innerText(), (text) => /\d+/.test(text) && !/\b0\b/.test(text), "reviews due");

  // R on the dashboard opens the review screen.
  await page.locator("body").focus();
  await page.keyboard.press("r");
  const due = page.getByTestId("review-due");
  await eventually(() => due.innerText(), (text) => /\d+ due/.test(text), "the due count");
  const startDue = Number(/(\d+) due/.exec(await due.innerText())[1]);
  assert.ok(startDue >= 5, `at least five cards are due, got ${startDue}`);

  const card = page.locator(".flashcard");
  for (let review = 1; review <= 5; review++) {
    const id = await card.getAttribute("data-card-id");
    assert.equal(await page.getByTestId("card-answer").count(), 0, "the answer starts hidden");
    await page.keyboard.press("Space");
    await page.getByTestId("card-answer").waitFor();
    if (review === 1) await screenshot(page, "review.png");
    await page.keyboard.press(review === 2 ? "1" : "3");
    await eventually(
      async () => (await due.innerText()).match(/reviewed/) && (await card.getAttribute("data-card-id")),
      (next) => next && next !== id,
      `card ${review} graded and replaced`,
    );
  }
  const endDue = Number(/(\d+) due/.exec(await due.innerText())[1]);
  // Every graded card leaves the queue for now; even "again" brings one back only minutes later.
  assert.equal(endDue, startDue - 5, `due went from ${startDue} to ${endDue}`);
  await eventually(() => due.innerText(), (text) => text.includes("5 reviewed"), "five reviewed");
});

test("a note is saved as you type, kept literally and found by search", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await openTopicPage(page, 2);
  const note = page.getByRole("textbox", { name: "Your notes on this topic (Markdown)" });
  await eventually(() => note.isEnabled(), (yes) => yes, "the note box is ready");
  const text = "Fixation: rotate at login. <img src=x onerror=\"window.__pwned=1\"> quokkazebra";
  await note.fill(text);
  const status = page.locator(".note-status");
  await eventually(() => status.innerText(), (s) => s.startsWith("Saved at"), "saved without leaving the box");

  await page.reload();
  await eventually(() => note.inputValue(), (value) => value === text, "the note after a reload");
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "note text never runs");

  await page.keyboard.press("Control+k");
  const palette = page.getByRole("dialog", { name: "Command palette" });
  await palette.getByRole("combobox").fill("quokkazebra");
  const match = palette.locator('[data-kind="match"]').first();
  await eventually(() => match.innerText(), (s) => s.includes("quokkazebra") && s.includes("Your note"), "note hit");
  assert.equal(await match.locator("mark").innerText(), "quokkazebra", "the matched word is marked");
  await screenshot(page, "search.png", { fullPage: false });
  await page.keyboard.press("Escape");
  await eventually(() => palette.count(), (n) => n === 0, "palette closed");

  await page.goto(`${dojo.url}#/topic/1`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  await page.keyboard.press("Control+k");
  await palette.getByRole("combobox").fill("quokkazebra");
  await eventually(() => palette.locator('[data-kind="match"]').count(), (n) => n > 0, "hit again");
  // No topic, section or action is called that, so the note's hit is the first row.
  assert.equal(await palette.getByRole("option").first().getAttribute("data-kind"), "match");
  await page.keyboard.press("Enter");
  await eventually(() => page.url(), (url) => url.includes("#/topic/session-cookies"), "topic 2 opened");
});

test("a flashcard of the learner's own is due at once", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await openTopicPage(page, 9);
  await page.getByLabel("Question").fill("Which index makes `WHERE email = ?` fast?");
  await page.getByLabel("Answer").fill("A unique index on `email`.");
  await page.getByRole("button", { name: "Add flashcard" }).click();
  await eventually(() => page.locator(".card-form-status").innerText(), (s) => s.startsWith("Added"), "added");

  await page.goto(`${dojo.url}#/review`);
  const prompt = page.getByTestId("card-prompt");
  // Cards come most overdue first; walk the queue until the learner's card shows.
  for (let step = 0; step < 60; step++) {
    await prompt.waitFor();
    if ((await prompt.innerText()).includes("WHERE email = ?")) break;
    const id = await page.locator(".flashcard").getAttribute("data-card-id");
    await page.keyboard.press("Space");
    await page.getByTestId("card-answer").waitFor();
    await page.keyboard.press("4");
    await eventually(() => page.locator(".flashcard").getAttribute("data-card-id"), (next) => next !== id, "next card");
  }
  assert.match(await prompt.innerText(), /WHERE email = \?/, "the learner's card is in the queue");
});

test("markup in a learner's own flashcard is shown as text, never run", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await openTopicPage(page, 18);
  await page.getByRole("textbox", { name: "Question" }).fill("Why is <script>window.__pwned = 1</script> inert here?");
  await page
    .getByRole("textbox", { name: "Answer", exact: true })
    .fill('[click me](javascript:window.__pwned=2) and <img src=x onerror="window.__pwned=3"> stay text.');
  await page.getByRole("button", { name: "Add flashcard" }).click();
  await eventually(() => page.locator(".card-form-status").innerText(), (s) => s.startsWith("Added"), "added");

  await page.goto(`${dojo.url}#/review`);
  const prompt = page.getByTestId("card-prompt");
  for (let step = 0; step < 80; step++) {
    await prompt.waitFor();
    if ((await prompt.innerText()).includes("inert here")) break;
    const id = await page.locator(".flashcard").getAttribute("data-card-id");
    await page.keyboard.press("Space");
    await page.getByTestId("card-answer").waitFor();
    await page.keyboard.press("4");
    await eventually(() => page.locator(".flashcard").getAttribute("data-card-id"), (next) => next !== id, "next card");
  }
  assert.match(await prompt.innerText(), /<script>window\.__pwned = 1<\/script>/, "the tag is shown literally");
  await page.keyboard.press("Space");
  const answer = page.getByTestId("card-answer");
  await answer.waitFor();
  assert.match(await answer.innerText(), /click me/, "the link text is there");
  assert.equal(await answer.locator('a[href^="javascript:" i]').count(), 0, "no javascript: link");
  assert.equal(await page.locator(".flashcard script, .flashcard img[onerror]").count(), 0, "no live script or handler");
  // Clicking what was meant to be a link does nothing either.
  await answer.getByText("click me").click();
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "nothing ran");
  assert.match(page.url(), /#\/review$/, "and the learner stays on the card");
  await screenshot(page, "flashcard-markup.png", { fullPage: false });
});
