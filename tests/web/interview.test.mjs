// Mentor mode and STAR stories in Chromium against a real `dojo serve`: a three-question
// mock interview run from the mentor's page while the candidate's view is open in a second
// browser (its own context, as on another screen), scored with the keyboard alone and
// finished to its summary; then STAR stories written, checked, fixed and deleted on a
// topic page.

import { test } from "node:test";
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import { TEST_MS, dojo, eventually, openPage, screenshot, useDojo } from "./harness.mjs";

useDojo();

const CRITERIA = ["clarity", "depth", "trade-offs", "security", "structure"];

/**
 * Scores the current answer with the keyboard: focus lands on the first criterion's first
 * radio, the arrow keys move to the score (Space picks a 1), Tab goes to the next criterion.
 */
async function scoreWithKeyboard(page, scores) {
  await page.locator(`fieldset[data-criterion="${CRITERIA[0]}"] input`).first().focus();
  for (const [at, score] of scores.entries()) {
    if (score === 1) await page.keyboard.press("Space");
    for (let step = 1; step < score; step++) await page.keyboard.press("ArrowRight");
    if (at < scores.length - 1) await page.keyboard.press("Tab");
  }
  const shown = () =>
    Promise.all(CRITERIA.map((c) => page.locator(`fieldset[data-criterion="${c}"] .rubric-score`).innerText()));
  const expected = scores.map((score) => `${score}/4`);
  await eventually(shown, (now) => now.join() === expected.join(), "the scores saved");
}

/** Lines of the mentor's model answer long enough to recognise anywhere else. */
async function modelAnswerLines(mentor) {
  const text = await mentor.getByTestId("model-answer").innerText();
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length >= 30)
    .map((line) => line.slice(0, 50));
  assert.ok(lines.length > 0, "the mentor sees a model answer");
  return lines;
}

/** The candidate's page shows the mentor's current question and none of the answer. */
async function candidateFollows(candidate, mentor, position) {
  const question = await mentor.getByTestId("mentor-question").innerText();
  await eventually(
    () => candidate.getByTestId("candidate-question").innerText(),
    (shown) => shown === question,
    `the candidate sees question ${position}`,
  );
  assert.equal(await candidate.getByTestId("candidate-position").innerText(), `Question ${position} of 3`);
  const seen = await candidate.locator("body").innerText();
  for (const line of await modelAnswerLines(mentor)) {
    assert.ok(!seen.includes(line), `the candidate never sees the model answer (${line})`);
  }
  assert.equal(await candidate.locator(".rubric, [data-testid='model-answer'], .mentor-note").count(), 0);
}

async function seriousViolations(page, where) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${where}: ${violation.id} ${violation.nodes.map((n) => n.target.join(" ")).join(" | ")}`);
}

test("a three-question mock interview, with the candidate's view in a second browser", { timeout: 2 * TEST_MS }, async (t) => {
  const problems = [];
  const mentor = await openPage(t);
  await mentor.goto(`${dojo.url}#/interviews/new`);
  const name = mentor.getByLabel("Candidate or session name");
  await eventually(() => name.evaluate((input) => input === document.activeElement), (yes) => yes, "the form has focus");
  await name.fill("Sam, backend loop");
  await mentor.getByRole("radio", { name: /Choose topics/ }).check();
  for (const id of [1, 10, 17]) await mentor.locator(`.topic-choice input[value="${id}"]`).check();
  await mentor.getByLabel("Minutes per question").fill("2");
  await mentor.getByRole("button", { name: "Create interview" }).click();
  await eventually(() => mentor.url(), (url) => /#\/interview\/\d+$/.test(url), "the mentor's screen opened");

  // The candidate's view is its own address, opened in another browser as on a second screen.
  const link = await mentor.getByLabel("Link to the candidate view").inputValue();
  assert.match(link, /#\/interview\/\d+\/candidate$/);
  const candidate = await openPage(t, { colorScheme: "dark" });
  await candidate.goto(link);
  await candidate.getByRole("heading", { name: "Waiting for the interviewer to start" }).waitFor();
  assert.equal(await candidate.locator(".sidebar, .status-bar").count(), 0, "no sidebar or status bar");

  await mentor.getByRole("button", { name: "Start the interview" }).click();
  const position = mentor.getByTestId("mentor-position");
  await eventually(() => position.innerText(), (text) => text === "Question 1 of 3", "question 1");
  await candidateFollows(candidate, mentor, 1);
  await eventually(
    () => candidate.getByTestId("candidate-timer").innerText(),
    (text) => /^[12]:\d\d\s+left$/i.test(text),
    "the candidate's timer counts down from 2:00",
  );

  await scoreWithKeyboard(mentor, [4, 4, 3, 3, 3]);
  const note = mentor.getByRole("textbox", { name: "Notes on this answer" });
  await note.fill("Explained expiry well; never mentioned key rotation.");
  await eventually(() => mentor.locator(".mentor-note-status").innerText(), (s) => s.startsWith("Note saved"), "note saved");

  await mentor.getByRole("button", { name: "Next question →" }).click();
  await eventually(() => position.innerText(), (text) => text === "Question 2 of 3", "question 2");
  await candidateFollows(candidate, mentor, 2);
  assert.equal(await note.inputValue(), "", "each answer has its own note");
  await scoreWithKeyboard(mentor, [4, 1, 2, 2, 2]);
  await mentor.getByRole("button", { name: "Pause timer" }).click();
  await eventually(() => candidate.getByTestId("candidate-timer").innerText(), (text) => /paused/i.test(text), "paused");
  await mentor.getByRole("button", { name: "Resume timer" }).click();
  await mentor.getByRole("button", { name: "Resume timer" }).waitFor({ state: "detached" });
  await screenshot(mentor, "mentor.png");
  await screenshot(candidate, "candidate.png");
  // The mentor's screen follows the system theme as long as no theme was picked.
  await mentor.emulateMedia({ colorScheme: "dark" });
  await eventually(() => mentor.evaluate(() => document.documentElement.dataset.theme), (v) => v === "dark", "dark");
  await screenshot(mentor, "mentor-dark.png", { fullPage: false });
  problems.push(...(await seriousViolations(mentor, "mentor (dark)")));
  await mentor.emulateMedia({ colorScheme: "light" });

  // Back to the first question and its note, then on to the last.
  await mentor.getByRole("button", { name: "← Previous" }).click();
  await eventually(() => position.innerText(), (text) => text === "Question 1 of 3", "back to question 1");
  await candidateFollows(candidate, mentor, 1);
  assert.equal(await note.inputValue(), "Explained expiry well; never mentioned key rotation.");
  await mentor.locator(".mentor-step").nth(2).click();
  await eventually(() => position.innerText(), (text) => text === "Question 3 of 3", "question 3");
  await candidateFollows(candidate, mentor, 3);
  await scoreWithKeyboard(mentor, [4, 1, 3, 3, 3]);

  problems.push(
    ...(await seriousViolations(mentor, "mentor (light)")),
    ...(await seriousViolations(candidate, "candidate (dark)")),
  );

  await mentor.getByRole("button", { name: "Finish interview" }).click();
  await mentor.getByRole("button", { name: "Finish and see the summary" }).click();
  const summary = mentor.getByTestId("interview-summary");
  await summary.waitFor();
  // (17 + 11 + 14) / 15 scores
  assert.equal((await mentor.getByTestId("summary-overall").innerText()).trim(), "2.8");
  assert.match(await mentor.getByTestId("summary-strengths").innerText(), /^Clarity/);
  assert.match(await mentor.getByTestId("summary-gaps").innerText(), /^Depth/);
  const review = await mentor.getByTestId("summary-review").innerText();
  assert.match(review, /Pagination/, "the weakest answer's topic (10) goes to review");
  assert.doesNotMatch(review, /JWT|Rate limiting/, "the stronger answers' topics do not");
  assert.match(await summary.innerText(), /never mentioned key rotation/, "the notes are in the summary");
  await candidate.getByRole("heading", { name: "The interview is over" }).waitFor();
  await screenshot(mentor, "summary.png");
  problems.push(...(await seriousViolations(mentor, "summary (light)")));

  // The list shows it with its date and average.
  await mentor.goto(`${dojo.url}#/interviews`);
  const row = mentor.locator("tr[data-interview-id]").first();
  await eventually(() => row.innerText(), (text) => text.includes("Sam, backend loop") && text.includes("2.8"), "listed");
  assert.match(await row.innerText(), /Finished/);
  await screenshot(mentor, "interviews.png");
  assert.deepEqual(problems, [], `axe found:\n${problems.join("\n")}`);
});

test("the palette starts a mock interview", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t);
  await page.goto(dojo.url);
  await page.locator("[data-tile-id]").first().waitFor();
  await page.keyboard.press("Control+k");
  const palette = page.getByRole("dialog", { name: "Command palette" });
  await palette.getByRole("combobox").fill("mock interview");
  await palette.getByRole("option", { name: /Start a mock interview/ }).click();
  await eventually(() => page.url(), (url) => url.endsWith("#/interviews/new"), "the form opened");
  const name = page.getByLabel("Candidate or session name");
  await eventually(() => name.evaluate((input) => input === document.activeElement), (yes) => yes, "focus in the form");
  await page.getByRole("link", { name: /Interviews/ }).waitFor();
  assert.equal(await page.getByRole("link", { name: /Interviews/ }).getAttribute("aria-current"), "page");
});

test("STAR stories are written, checked live, saved as drafts and fixed", { timeout: TEST_MS }, async (t) => {
  const page = await openPage(t, { colorScheme: "dark" });
  await page.goto(`${dojo.url}#/topic/17`);
  await page.getByRole("heading", { name: "Your STAR stories" }).waitFor();
  await page.getByRole("button", { name: "Add a story" }).click();
  const form = page.getByRole("form", { name: "New story" });
  await form.getByLabel("Title").fill("Login brute force");
  await form.getByLabel("Situation").fill("A bot was stuffing stolen passwords into our login form.");
  await form.getByLabel("Task").fill("Stop it");
  await form.getByLabel("Result").fill("Everyone slept better afterwards, truly.");
  const check = page.getByTestId("story-check");
  await eventually(() => check.innerText(), (text) => text.startsWith("3 things to fix"), "the live check");
  const resultIssues = form.locator('[data-part="result"] .story-field-issues');
  await eventually(() => resultIssues.innerText(), (text) => text.includes("not measurable"), "result flagged");
  assert.match(await form.locator('[data-part="action"] .story-field-issues').innerText(), /missing/);
  await form.scrollIntoViewIfNeeded();
  await screenshot(page, "story-draft-dark.png", { fullPage: false });

  await form.getByRole("button", { name: "Save draft" }).click();
  const card = page.locator(".story-card").first();
  await card.waitFor();
  assert.match(await card.innerText(), /Draft/);
  assert.match(await card.innerText(), /not measurable/);

  await card.getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("form", { name: "Edit story" });
  await edit.getByLabel("Task").fill("Stop the attack without locking out real customers.");
  await edit.getByLabel("Action").fill("Added a token bucket per account and per address in Redis.");
  await edit.getByLabel("Result").fill("Failed logins fell by 97% within one day.");
  await eventually(() => check.innerText(), (text) => text.startsWith("Every part is there"), "the check passes");
  await edit.getByRole("button", { name: "Save story" }).click();
  await eventually(() => card.innerText(), (text) => text.includes("Complete") && !text.includes("to fix"), "complete");
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, "stories-dark.png", { fullPage: false });

  await page.reload();
  await eventually(() => page.locator(".story-card").first().innerText(), (text) => text.includes("97%"), "kept");
  await page.getByRole("button", { name: "Delete Login brute force" }).click();
  await page.getByRole("button", { name: "Delete for good" }).click();
  await eventually(() => page.locator(".story-card").count(), (n) => n === 0, "deleted");
});
