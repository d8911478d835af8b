// The one door from Backend Dojo's UI to the `app` crate. Inside the desktop shell the
// calls go through Tauri commands; in web mode (`dojo serve`) the same calls are plain HTTP
// on the page's own origin. Callers never know which one answered.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { ConnectionTest } from "./bindings/ConnectionTest";
import type { ConsoleRequest } from "./bindings/ConsoleRequest";
import type { ConsoleResponse } from "./bindings/ConsoleResponse";
import type { DrillInfo } from "./bindings/DrillInfo";
import type { DrillRun } from "./bindings/DrillRun";
import type { SandboxInfo } from "./bindings/SandboxInfo";
import type { SandboxSettings } from "./bindings/SandboxSettings";
import type { SandboxSettingsInput } from "./bindings/SandboxSettingsInput";
import type { SandboxSettingsSaved } from "./bindings/SandboxSettingsSaved";
import type { TopicIndex } from "./bindings/TopicIndex";
import type { TopicView } from "./bindings/TopicView";
import type { TraceView } from "./bindings/TraceView";
import type { TrafficEntry } from "./bindings/TrafficEntry";

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
export async function topic(key: string): Promise<TopicView> {
  const view = inDesktopApp()
    ? await command<TopicView>("topic", { key })
    : await getJson<TopicView>(`/api/topics/${encodeURIComponent(key)}`);
  // A server from before the request console sends neither list; treat that as empty.
  return { ...view, try_it: view.try_it ?? [], http_variables: view.http_variables ?? [] };
}

/** A topic's drills, in the order they run; empty when it has none. */
export function drills(key: string): Promise<DrillInfo[]> {
  if (inDesktopApp()) return command<DrillInfo[]>("drills", { key });
  return getJson<DrillInfo[]>(`/api/topics/${encodeURIComponent(key)}/drills`);
}

/**
 * Runs every drill of a topic against the embedded sandbox. The app resets the topic's
 * sandbox state first, so earlier requests from the console do not change the outcome.
 */
export async function runDrills(key: string): Promise<DrillRun> {
  const run = inDesktopApp()
    ? await command<DrillRun>("run_drills", { key })
    : await postJson<DrillRun>(`/api/topics/${encodeURIComponent(key)}/drills/run`, {});
  // Optional fields may be left out on the wire rather than sent as null.
  return {
    ...run,
    drills: run.drills.map((drill) => ({
      ...drill,
      steps: drill.steps.map((step) => ({
        ...step,
        status: step.status ?? null,
        asserts: step.asserts.map((check) => ({ ...check, message: check.message ?? null })),
      })),
    })),
  };
}

/** Where the live sandbox listens, whether it is up, its request rate and storage. */
export async function sandboxInfo(): Promise<SandboxInfo> {
  const info = inDesktopApp()
    ? await command<SandboxInfo>("sandbox_info")
    : await getJson<SandboxInfo>("/api/sandbox");
  return normaliseSandbox(info);
}

/** What the status bar's buttons do to the app's sandbox. */
export type SandboxAction = "start" | "stop" | "restart";

/**
 * Starts, stops or restarts the sandbox; answers with its state afterwards. A restart keeps
 * the port (and the launch token) whenever it can.
 */
export async function controlSandbox(action: SandboxAction): Promise<SandboxInfo> {
  const info = inDesktopApp()
    ? await command<SandboxInfo>(`${action}_sandbox`)
    : await postJson<SandboxInfo>(`/api/sandbox/${action}`, {});
  return normaliseSandbox(info);
}

// Optional fields may be left out on the wire rather than sent as null; an older server
// sends only the address and whether it runs.
function normaliseSandbox(info: SandboxInfo): SandboxInfo {
  return {
    ...info,
    base_url: info.base_url ?? null,
    state: info.state ?? (info.running ? "running" : "stopped"),
    address: info.address ?? info.base_url?.replace(/^https?:\/\//, "") ?? null,
    requests_per_second: info.requests_per_second ?? 0,
    storage: info.storage ?? "SQLite (embedded)",
    curl_example: info.curl_example ?? null,
    message: info.message ?? null,
  };
}

/** The sandbox's port and servers as Settings shows them (passwords as `***`). */
export function sandboxSettings(): Promise<SandboxSettings> {
  return callApp("sandbox_settings", {}, { method: "GET", path: "/api/sandbox/settings" });
}

/**
 * Saves the sandbox's settings and restarts it with them; a `***` password keeps the
 * stored one. A refusal's `title` names the field ("Port not usable", ...).
 */
export async function saveSandboxSettings(settings: SandboxSettingsInput): Promise<SandboxSettingsSaved> {
  const saved = await callApp<SandboxSettingsSaved>(
    "save_sandbox_settings",
    { settings },
    { method: "PUT", path: "/api/sandbox/settings", body: settings },
  );
  return { ...saved, sandbox: normaliseSandbox(saved.sandbox) };
}

/** Tries a MongoDB or Redis URI with a short timeout; the answer says what happened. */
export function testSandboxServer(kind: "mongodb" | "redis", uri: string): Promise<ConnectionTest> {
  return callApp(
    `test_${kind}`,
    { request: { uri } },
    { method: "POST", path: `/api/sandbox/settings/test-${kind}`, body: { uri } },
  );
}

/**
 * Sends one request of the console to the sandbox. The template goes as written: the app
 * resolves `{{baseUrl}}`, file variables and captures from earlier named responses.
 */
export async function sendRequest(request: ConsoleRequest): Promise<ConsoleResponse> {
  const response = inDesktopApp()
    ? await command<ConsoleResponse>("send_request", { request })
    : await postJson<ConsoleResponse>("/api/console/send", request);
  return { ...response, trace: response.trace ? normaliseTrace(response.trace) : null };
}

/** The recorded trace of one sandbox request, by its request id. */
export async function trace(id: string): Promise<TraceView> {
  const view = inDesktopApp()
    ? await command<TraceView>("trace", { id })
    : await getJson<TraceView>(`/api/traces/${encodeURIComponent(id)}`);
  return normaliseTrace(view);
}

/** The requests the sandbox has seen, newest first. */
export async function traffic(): Promise<TrafficEntry[]> {
  const entries = inDesktopApp()
    ? await command<TrafficEntry[]>("traffic")
    : await getJson<TrafficEntry[]>("/api/traffic");
  return entries.map(normaliseEntry);
}

/** What the desktop app's native menu asks the page to do. */
export type MenuChoice = "export" | "settings" | "toggle-theme" | "command-palette";

/**
 * Calls `onChoice` for each choice made in the desktop app's menu bar; does nothing in
 * web mode, where the page's own shortcuts are the only ones. Returns the unsubscribe
 * function.
 */
export function onMenu(onChoice: (choice: MenuChoice) => void): () => void {
  if (!inDesktopApp()) return () => {};
  let stopped = false;
  let unlisten: (() => void) | null = null;
  listen<MenuChoice>("menu", (event) => onChoice(event.payload))
    .then((stop) => {
      if (stopped) stop();
      else unlisten = stop;
    })
    .catch(() => {
      // Without the menu bridge, the keyboard shortcuts still work.
    });
  return () => {
    stopped = true;
    unlisten?.();
  };
}

/** How the live feed of sandbox requests is doing. */
export type FeedState = "connecting" | "live" | "offline";

/**
 * Calls `onEntry` for every request the sandbox finishes from now on, whoever sent it.
 * `onState` hears whether the feed is connected. Returns the unsubscribe function.
 */
export function onTraffic(
  onEntry: (entry: TrafficEntry) => void,
  onState: (state: FeedState) => void = () => {},
): () => void {
  if (inDesktopApp()) {
    let stopped = false;
    let unlisten: (() => void) | null = null;
    onState("connecting");
    listen<TrafficEntry>("traffic", (event) => onEntry(normaliseEntry(event.payload)))
      .then((stop) => {
        if (stopped) stop();
        else {
          unlisten = stop;
          onState("live");
        }
      })
      .catch(() => onState("offline"));
    return () => {
      stopped = true;
      unlisten?.();
    };
  }

  // EventSource reconnects by itself after a drop; `onerror` only reports the gap.
  const source = new EventSource("/api/traffic/events");
  onState("connecting");
  source.onopen = () => onState("live");
  source.onerror = () => onState(source.readyState === EventSource.CLOSED ? "offline" : "connecting");
  source.addEventListener("trace", (event) => {
    try {
      onEntry(normaliseEntry(JSON.parse((event as MessageEvent<string>).data) as TrafficEntry));
    } catch {
      // A malformed event is skipped; the next one still arrives.
    }
  });
  return () => source.close();
}

// Optional fields may be left out on the wire rather than sent as null.
function normaliseEntry(entry: TrafficEntry): TrafficEntry {
  return { ...entry, short_circuited_by: entry.short_circuited_by ?? null };
}

/** A trace with every optional field present, whichever way it arrived. */
export function normaliseTrace(view: TraceView): TraceView {
  return {
    ...view,
    layers: (view.layers ?? []).map((layer) => ({
      ...layer,
      status: layer.status ?? null,
      reason: layer.reason ?? null,
    })),
    steps: (view.steps ?? []).map((step) => ({
      ...step,
      status: step.status ?? null,
      decision: step.decision ?? null,
      reason: step.reason ?? null,
    })),
  };
}

/** How web mode reaches the app method a Tauri command wraps. */
export interface HttpRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  body?: unknown;
}

/**
 * One call into the app: the Tauri command `name` with `args` in the desktop app, the
 * HTTP route in web mode. Feature modules (`studyApi.ts`) build on this.
 */
export async function callApp<T>(
  name: string,
  args: Record<string, unknown>,
  route: HttpRoute,
): Promise<T> {
  if (inDesktopApp()) return command<T>(name, args);
  const init: RequestInit = { method: route.method, headers: { Accept: "application/json" } };
  if (route.body !== undefined) {
    init.headers = { Accept: "application/json", "Content-Type": "application/json" };
    init.body = JSON.stringify(route.body);
  }
  const response = await send(route.path, init);
  return readJson<T>(route.path, response);
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
  const response = await send(path, { headers: { Accept: "application/json" } });
  return readJson<T>(path, response);
}

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await send(path, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return readJson<T>(path, response);
}

async function readJson<T>(path: string, response: Response): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(`The server sent an unreadable answer for ${path}.`, response.status);
  }
}

async function getText(path: string): Promise<string> {
  const response = await send(path, { headers: { Accept: "text/css, text/plain;q=0.9" } });
  return response.text();
}

async function send(path: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, init);
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
