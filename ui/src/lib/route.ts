// Hash routes, so a reload (or a link pasted into the desktop app) lands on the same topic.
//   (empty)           the dashboard
//   #/topic/<key>     a topic, by slug (canonical) or by id
//   #/traffic         the live list of every request the sandbox sees
//   #/review          flashcard review
//   #/settings        appearance and study data
//   #/interviews      mock interviews: past ones and the form to set up a new one
//   #/interviews/new  the same, with the cursor in the form
//   #/interview/<id>  the mentor's screen of one interview (its summary once finished)
//   #/interview/<id>/candidate
//                     what the candidate sees: the current question and the timer only,
//                     without the sidebar, for a second screen or window

export type Route =
  | { kind: "home" }
  | { kind: "topic"; key: string }
  | { kind: "traffic" }
  | { kind: "review" }
  | { kind: "settings" }
  | { kind: "interviews"; create: boolean }
  | { kind: "interview"; id: number }
  | { kind: "candidate"; id: number }
  | { kind: "unknown" };

export const TRAFFIC_HREF = "#/traffic";
export const REVIEW_HREF = "#/review";
export const SETTINGS_HREF = "#/settings";
export const INTERVIEWS_HREF = "#/interviews";
export const NEW_INTERVIEW_HREF = "#/interviews/new";

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "");
  if (path === "" || path === "/") return { kind: "home" };
  if (path === "/traffic" || path === "/traffic/") return { kind: "traffic" };
  if (path === "/review" || path === "/review/") return { kind: "review" };
  if (path === "/settings" || path === "/settings/") return { kind: "settings" };
  if (path === "/interviews" || path === "/interviews/") {
    return { kind: "interviews", create: false };
  }
  if (path === "/interviews/new" || path === "/interviews/new/") {
    return { kind: "interviews", create: true };
  }
  const interview = /^\/interview\/([1-9]\d{0,15})(\/candidate)?\/?$/.exec(path);
  if (interview) {
    const id = Number(interview[1]);
    if (!Number.isSafeInteger(id)) return { kind: "unknown" };
    return interview[2] ? { kind: "candidate", id } : { kind: "interview", id };
  }
  const match = /^\/topic\/([^/?#]+)\/?$/.exec(path);
  if (!match) return { kind: "unknown" };
  let key: string;
  try {
    key = decodeURIComponent(match[1]);
  } catch {
    return { kind: "unknown" };
  }
  return key.trim() === "" ? { kind: "unknown" } : { kind: "topic", key };
}

export function topicHref(slug: string): string {
  return `#/topic/${encodeURIComponent(slug)}`;
}

/** Navigates to a topic, adding a history entry so Back returns to the previous one. */
export function openTopic(slug: string): void {
  const href = topicHref(slug);
  if (location.hash !== href) location.hash = href;
}

/** Rewrites the address to the canonical slug without a new history entry. */
export function replaceWithTopic(slug: string): void {
  const href = topicHref(slug);
  if (location.hash !== href) history.replaceState(history.state, "", href);
}

/** The mentor's screen of an interview. */
export function interviewHref(id: number): string {
  return `#/interview/${id}`;
}

/** The candidate's view of an interview. */
export function candidateHref(id: number): string {
  return `#/interview/${id}/candidate`;
}
