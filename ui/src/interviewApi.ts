// Mock interviews (the mentor's screen, the candidate's view) and the learner's STAR
// stories. Each function is one app call (see `callApp` in api.ts); opening the candidate's
// view is the one place where the two shells differ: a second native window in the desktop
// app, a second browser tab or screen in web mode.

import { callApp, inDesktopApp } from "./api";
import type { CandidateView } from "./bindings/CandidateView";
import type { InterviewListItem } from "./bindings/InterviewListItem";
import type { InterviewOptions } from "./bindings/InterviewOptions";
import type { InterviewSetup } from "./bindings/InterviewSetup";
import type { InterviewSummary } from "./bindings/InterviewSummary";
import type { MentorScreen } from "./bindings/MentorScreen";
import type { RubricCriterion } from "./bindings/RubricCriterion";
import type { StoryFields } from "./bindings/StoryFields";
import type { StoryIssue } from "./bindings/StoryIssue";
import type { StoryView } from "./bindings/StoryView";
import type { TimerView } from "./bindings/TimerView";
import { candidateHref } from "./lib/route";

const interviewPath = (id: number) => `/api/interviews/${id}`;

/** The presets, the rubric and the allowed time per question, for the create form. */
export function interviewOptions(): Promise<InterviewOptions> {
  return callApp("interview_options", {}, { method: "GET", path: "/api/interviews/options" });
}

/** Every interview, newest first. */
export function listInterviews(): Promise<InterviewListItem[]> {
  return callApp("list_interviews", {}, { method: "GET", path: "/api/interviews" });
}

/** Creates an interview; it waits for the mentor to start it. */
export function createInterview(setup: InterviewSetup): Promise<MentorScreen> {
  return callApp(
    "create_interview",
    { setup },
    { method: "POST", path: "/api/interviews", body: setup },
  );
}

/** The mentor's screen: questions with model answers, follow-ups, rubric, scores, notes. */
export function mentorView(interviewId: number): Promise<MentorScreen> {
  return callApp("mentor_view", { interviewId }, { method: "GET", path: interviewPath(interviewId) });
}

/** The candidate's view: the current question and the timer, nothing else. */
export function candidateView(interviewId: number): Promise<CandidateView> {
  return callApp(
    "candidate_view",
    { interviewId },
    { method: "GET", path: `${interviewPath(interviewId)}/candidate` },
  );
}

function mentorAction(command: string, path: string, interviewId: number): Promise<MentorScreen> {
  return callApp(
    command,
    { interviewId },
    { method: "POST", path: `${interviewPath(interviewId)}/${path}` },
  );
}

/** Starts the interview at its first question with the timer running. */
export const startInterview = (id: number) => mentorAction("start_interview", "start", id);
/** Moves on to the next question and restarts the timer. */
export const nextQuestion = (id: number) => mentorAction("advance_interview", "next", id);
/** Pauses the current question's timer. */
export const pauseTimer = (id: number) => mentorAction("pause_interview_timer", "pause", id);
/** Lets a paused timer run again. */
export const resumeTimer = (id: number) => mentorAction("resume_interview_timer", "resume", id);

/** Jumps to the question at 0-based `index` (back or forward) and restarts the timer. */
export function goToQuestion(interviewId: number, index: number): Promise<MentorScreen> {
  return callApp(
    "go_to_question",
    { interviewId, index },
    { method: "PUT", path: `${interviewPath(interviewId)}/question`, body: { index } },
  );
}

/** Scores the answer at `position` on one criterion, 1 to 4; a new score replaces the old. */
export function scoreAnswer(
  interviewId: number,
  position: number,
  criterion: RubricCriterion,
  score: number,
): Promise<MentorScreen> {
  const input = { criterion, score };
  return callApp(
    "score_answer",
    { interviewId, position, input },
    {
      method: "PUT",
      path: `${interviewPath(interviewId)}/questions/${position}/score`,
      body: input,
    },
  );
}

/** Replaces the mentor's note on the question at `position`. */
export function setInterviewNote(
  interviewId: number,
  position: number,
  note: string,
): Promise<MentorScreen> {
  return callApp(
    "set_interview_note",
    { interviewId, position, note },
    {
      method: "PUT",
      path: `${interviewPath(interviewId)}/questions/${position}/note`,
      body: { note },
    },
  );
}

/** Ends the interview; the weak topics go into the candidate's review queue. */
export function finishInterview(interviewId: number): Promise<InterviewSummary> {
  return callApp(
    "finish_interview",
    { interviewId },
    { method: "POST", path: `${interviewPath(interviewId)}/finish` },
  );
}

/** The summary: averages, strengths, gaps, topics to review. */
export function interviewSummary(interviewId: number): Promise<InterviewSummary> {
  return callApp(
    "interview_summary",
    { interviewId },
    { method: "GET", path: `${interviewPath(interviewId)}/summary` },
  );
}

/** Deletes an interview; answers with the interviews left. */
export function deleteInterview(interviewId: number): Promise<InterviewListItem[]> {
  return callApp(
    "delete_interview",
    { interviewId },
    { method: "DELETE", path: interviewPath(interviewId) },
  );
}

/** The full address of an interview's candidate view, to open or share (web mode). */
export function candidateUrl(interviewId: number): string {
  return `${location.origin}${location.pathname}${candidateHref(interviewId)}`;
}

/**
 * Shows the candidate's view: the desktop app opens (or refocuses) its second window; in
 * web mode a new tab or window opens on the candidate's address. Resolves to false when the
 * browser blocked the new window (the copyable link is the way then).
 */
export async function openCandidateView(interviewId: number): Promise<boolean> {
  if (inDesktopApp()) {
    await callApp<null>(
      "open_candidate_window",
      { interviewId },
      { method: "GET", path: "" },
    );
    return true;
  }
  const opened = window.open(candidateUrl(interviewId), `dojo-candidate-${interviewId}`);
  return opened !== null;
}

/**
 * Seconds left on a timer, counting on from when its view arrived (`receivedAtMs`, this
 * page's clock, so a server clock that differs does not matter). Negative once over time.
 */
export function secondsLeft(timer: TimerView, receivedAtMs: number, nowMs: number): number {
  const passed = timer.running ? Math.max(0, (nowMs - receivedAtMs) / 1000) : 0;
  return timer.remaining_seconds - passed;
}

/** "4:05" while time is left, "+0:12" once over. */
export function timerText(seconds: number): string {
  const over = seconds < 0;
  const whole = over ? Math.ceil(-seconds) : Math.ceil(seconds);
  const text = `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  return over ? `+${text}` : text;
}

/** An average score for people: "2.8", or a dash before any score. */
export function scoreText(average: number | null): string {
  return average === null ? "–" : average.toFixed(1);
}

const storyPath = (id: number) => `/api/stories/${id}`;

/** A topic's stories, oldest first, each with what it still lacks. */
export function topicStories(key: string): Promise<StoryView[]> {
  return callApp(
    "topic_stories",
    { key },
    { method: "GET", path: `/api/topics/${encodeURIComponent(key)}/stories` },
  );
}

/** Saves a new story on a topic (drafts are fine). */
export function saveStory(key: string, story: StoryFields): Promise<StoryView> {
  return callApp(
    "save_story",
    { key, story },
    { method: "POST", path: `/api/topics/${encodeURIComponent(key)}/stories`, body: story },
  );
}

/** Replaces a story's fields. */
export function updateStory(storyId: number, story: StoryFields): Promise<StoryView> {
  return callApp(
    "update_story",
    { storyId, story },
    { method: "PUT", path: storyPath(storyId), body: story },
  );
}

/** Deletes a story; answers with its topic's stories left. */
export function deleteStory(storyId: number): Promise<StoryView[]> {
  return callApp("delete_story", { storyId }, { method: "DELETE", path: storyPath(storyId) });
}

/** What a story being written still lacks, without saving it. */
export function checkStory(story: StoryFields): Promise<StoryIssue[]> {
  return callApp("check_story", { story }, { method: "POST", path: "/api/stories/check", body: story });
}
