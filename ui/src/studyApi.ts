// The learner's study data: dashboard, progress, notes, search and flashcard review.
// Each function is one app call (see `callApp` in api.ts).

import { callApp } from "./api";
import type { CardView } from "./bindings/CardView";
import type { DashboardView } from "./bindings/DashboardView";
import type { NoteView } from "./bindings/NoteView";
import type { ProgressView } from "./bindings/ProgressView";
import type { ReviewGrade } from "./bindings/ReviewGrade";
import type { ReviewQueue } from "./bindings/ReviewQueue";
import type { RestoreSummary } from "./bindings/RestoreSummary";
import type { SearchResult } from "./bindings/SearchResult";
import type { StudyInfo } from "./bindings/StudyInfo";
import type { TopicState } from "./bindings/TopicState";

const topicPath = (key: string) => `/api/topics/${encodeURIComponent(key)}`;

/** Every topic's progress, the plan for today and the reviews due. */
export function dashboard(): Promise<DashboardView> {
  return callApp("dashboard", {}, { method: "GET", path: "/api/study/dashboard" });
}

/** Marks a topic as opened: not started becomes learning. */
export function topicOpened(key: string): Promise<ProgressView> {
  return callApp("topic_opened", { key }, { method: "POST", path: `${topicPath(key)}/opened` });
}

/** Sets a topic's state by hand. */
export function setTopicState(key: string, state: TopicState): Promise<ProgressView> {
  return callApp(
    "set_topic_state",
    { key, state },
    { method: "PUT", path: `${topicPath(key)}/state`, body: { state } },
  );
}

/** The learner's note on a topic (empty text when there is none). */
export function note(key: string): Promise<NoteView> {
  return callApp("note", { key }, { method: "GET", path: `${topicPath(key)}/note` });
}

/** Saves a topic's note; blank text deletes it. */
export function saveNote(key: string, markdown: string): Promise<NoteView> {
  return callApp(
    "save_note",
    { key, markdown },
    { method: "PUT", path: `${topicPath(key)}/note`, body: { markdown } },
  );
}

/** Full-text search over the topics and the learner's notes. */
export function search(query: string): Promise<SearchResult[]> {
  return callApp(
    "search",
    { query },
    { method: "GET", path: `/api/search?q=${encodeURIComponent(query)}` },
  );
}

/** The flashcards due now. */
export function reviewQueue(): Promise<ReviewQueue> {
  return callApp("review_queue", {}, { method: "GET", path: "/api/review" });
}

/** Grades one card; answers with the queue after the review. */
export function review(cardId: number, grade: ReviewGrade): Promise<ReviewQueue> {
  return callApp(
    "review_card",
    { cardId, grade },
    { method: "POST", path: `/api/review/cards/${cardId}`, body: { grade } },
  );
}

/** Adds a flashcard of the learner's own to a topic. */
export function addCard(key: string, prompt: string, answer: string): Promise<CardView> {
  return callApp(
    "add_card",
    { key, card: { prompt, answer } },
    { method: "POST", path: `${topicPath(key)}/cards`, body: { prompt, answer } },
  );
}

/** Where the study database is. */
export function studyInfo(): Promise<StudyInfo> {
  return callApp("study_info", {}, { method: "GET", path: "/api/study/info" });
}

/** Replaces all study data with a backup file's text. */
export function restoreStudy(json: string): Promise<RestoreSummary> {
  return callApp(
    "study_restore",
    { json },
    { method: "POST", path: "/api/study/restore", body: JSON.parse(json) as unknown },
  );
}

/** Deletes all study data; `confirm` must be "reset". */
export function resetStudy(confirm: string): Promise<RestoreSummary> {
  return callApp(
    "study_reset",
    { request: { confirm } },
    { method: "POST", path: "/api/study/reset", body: { confirm } },
  );
}

/** The web-mode address of a backup download (the desktop app saves through a dialog). */
export const STUDY_BACKUP_HREF = "/api/study/backup";

/** Desktop only: asks where to save a backup and writes it; null when cancelled. */
export function saveStudyBackup(): Promise<string | null> {
  return callApp<string | null>("save_study_backup", {}, { method: "GET", path: "" });
}
