// Hash routes, so a reload (or a link pasted into the desktop app) lands on the same topic.
//   (empty)           the dashboard
//   #/topic/<key>     a topic, by slug (canonical) or by id
//   #/traffic         the live list of every request the sandbox sees
//   #/review          flashcard review
//   #/settings        appearance and study data

export type Route =
  | { kind: "home" }
  | { kind: "topic"; key: string }
  | { kind: "traffic" }
  | { kind: "review" }
  | { kind: "settings" }
  | { kind: "unknown" };

export const TRAFFIC_HREF = "#/traffic";
export const REVIEW_HREF = "#/review";
export const SETTINGS_HREF = "#/settings";

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "");
  if (path === "" || path === "/") return { kind: "home" };
  if (path === "/traffic" || path === "/traffic/") return { kind: "traffic" };
  if (path === "/review" || path === "/review/") return { kind: "review" };
  if (path === "/settings" || path === "/settings/") return { kind: "settings" };
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
