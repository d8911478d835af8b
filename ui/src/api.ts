// The one door from Backend Dojo's UI to the `app` crate. Inside the desktop shell the
// calls go through Tauri commands; in web mode (`dojo serve`) the same calls are plain HTTP
// on the page's own origin. Callers never know which one answered.

import { invoke } from "@tauri-apps/api/core";
import type { TopicIndex } from "./bindings/TopicIndex";
import type { TopicView } from "./bindings/TopicView";

/** A failure the learner can read: `message` is the problem's `detail` when there is one. */
export class ApiError extends Error {
  readonly status: number | null;
  readonly title: string | null;

  constructor(message: string, status: number | null = null, title: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.title = title;
  }
}

/** True inside the Tauri webview, where the shell injects its IPC bridge. */
export function inDesktopApp(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

/** The list of topics, grouped in display order. */
export function topicIndex(): Promise<TopicIndex> {
  if (inDesktopApp()) return command<TopicIndex>("topic_index");
  return getJson<TopicIndex>("/api/topics");
}

/** One topic, looked up by its slug or by its id written as a string. */
export function topic(key: string): Promise<TopicView> {
  if (inDesktopApp()) return command<TopicView>("topic", { key });
  return getJson<TopicView>(`/api/topics/${encodeURIComponent(key)}`);
}

/** The stylesheet for highlighted code, with rules for both themes. */
export function syntaxCss(): Promise<string> {
  if (inDesktopApp()) return command<string>("syntax_css");
  return getText("/api/syntax.css");
}

async function command<T>(name: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(name, args);
  } catch (err) {
    throw fromCommandError(err);
  }
}

// A Tauri command rejects with whatever its error serialised to: a plain string, or a
// problem-like object. Both end up as one readable message.
function fromCommandError(err: unknown): ApiError {
  if (typeof err === "string") return new ApiError(err);
  if (err && typeof err === "object") {
    const problem = err as Record<string, unknown>;
    const message = firstText(problem.detail, problem.message, problem.title);
    if (message) {
      const status = typeof problem.status === "number" ? problem.status : null;
      return new ApiError(message, status, firstText(problem.title));
    }
  }
  return new ApiError("The desktop app could not answer this request.");
}

async function getJson<T>(path: string): Promise<T> {
  const response = await send(path, "application/json");
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(`The server sent an unreadable answer for ${path}.`, response.status);
  }
}

async function getText(path: string): Promise<string> {
  const response = await send(path, "text/css, text/plain;q=0.9");
  return response.text();
}

async function send(path: string, accept: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { Accept: accept } });
  } catch {
    throw new ApiError(
      "Could not reach the Backend Dojo server. Is `dojo serve` still running?",
    );
  }
  if (!response.ok) throw await fromHttpError(response);
  return response;
}

// Errors from web mode are RFC 9457 problem details; `detail` is the sentence meant for
// people. Anything else still gets a message that names the status.
async function fromHttpError(response: Response): Promise<ApiError> {
  const fallback = `The server answered ${response.status}${
    response.statusText ? ` ${response.statusText}` : ""
  }.`;
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("json")) return new ApiError(fallback, response.status);
  try {
    const problem = (await response.json()) as Record<string, unknown>;
    const message = firstText(problem.detail, problem.title) ?? fallback;
    return new ApiError(message, response.status, firstText(problem.title));
  } catch {
    return new ApiError(fallback, response.status);
  }
}

function firstText(...values: unknown[]): string | null {
  for (const value of values) {
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  return null;
}

/** The message to show for any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return "Something went wrong.";
}
