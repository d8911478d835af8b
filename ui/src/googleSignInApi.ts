// Topic 7's "Sign in with Google", run the way a real app runs it: in a window of its own (a
// native window in the desktop app, a popup in web mode) whose pages this page cannot read.
// The page keeps a random verifier and starts that window with its SHA-256, the challenge
// (`/api/v1/auth/google/handoff/start`). It learns when the window is done, then collects
// what the sandbox's callback filed for the challenge by posting the verifier, once
// (`POST /api/v1/auth/google/handoff`, sent through the request console like any other
// request to the sandbox).

import { listen } from "@tauri-apps/api/event";
import { ApiError, callApp, inDesktopApp, onTraffic, sendRequest } from "./api";

/** Where the sandbox's callback answers; a request to it means a sign-in just ended. */
const CALLBACK_PATH = "/api/v1/auth/google/callback";
const HANDOFF_START_PATH = "/api/v1/auth/google/handoff/start";
/** The event the desktop shell sends when its sign-in window is done. */
const WINDOW_EVENT = "google-sign-in";

/** The verifier this page keeps, and the challenge the window starts with. */
export interface SignInTicket {
  verifier: string;
  challenge: string;
}

/** A fresh verifier (32 random bytes) and its challenge, as PKCE's S256. */
export async function newTicket(): Promise<SignInTicket> {
  if (!globalThis.crypto?.subtle) {
    throw new ApiError(
      "Signing in from here needs a secure page (https, or the app on 127.0.0.1 or localhost).",
    );
  }
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: base64Url(new Uint8Array(hash)) };
}

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The account a sign-in ended in. */
export interface SignedInUser {
  id: number;
  email: string;
  name: string;
  role: string;
}

/** What the sandbox filed for a sign-in. */
export type SignInOutcome =
  | {
      outcome: "signed_in";
      user: SignedInUser;
      /** How the Google identity met the account, e.g. `linked-by-verified-email`. */
      link: string;
      /** The sandbox's own access token for the account. */
      access_token: string;
      expires_in: number | null;
    }
  | { outcome: "refused"; status: number; detail: string };

/**
 * Collects what the callback filed for `verifier`'s challenge; `null` while nothing is
 * filed (the callback has not run, or the outcome was collected already).
 */
export async function collectOutcome(verifier: string): Promise<SignInOutcome | null> {
  const answer = await sendRequest({
    method: "POST",
    url: "{{baseUrl}}/api/v1/auth/google/handoff",
    headers: [["Content-Type", "application/json"]],
    body: JSON.stringify({ verifier }),
    name: null,
    variables: [],
  });
  const body = parseObject(answer.body);
  if (answer.status === 404) return null;
  if (answer.status !== 200 || !body) {
    const detail = body && typeof body.detail === "string" ? body.detail : null;
    throw new ApiError(detail ?? `The sandbox answered ${answer.status}.`, answer.status);
  }
  return readOutcome(body);
}

function readOutcome(body: Record<string, unknown>): SignInOutcome {
  if (body.outcome === "refused") {
    return {
      outcome: "refused",
      status: typeof body.status === "number" ? body.status : 0,
      detail: typeof body.detail === "string" ? body.detail : "The sign-in was refused.",
    };
  }
  const user = (body.user ?? {}) as Record<string, unknown>;
  return {
    outcome: "signed_in",
    user: {
      id: typeof user.id === "number" ? user.id : 0,
      email: typeof user.email === "string" ? user.email : "",
      name: typeof user.name === "string" ? user.name : "",
      role: typeof user.role === "string" ? user.role : "",
    },
    link: typeof body.link === "string" ? body.link : "",
    access_token: typeof body.access_token === "string" ? body.access_token : "",
    expires_in: typeof body.expires_in === "number" ? body.expires_in : null,
  };
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * How the page hears about the window: `finished`, the callback ran (collect now);
 * `closed`, the window went away (collect once more: nothing filed means cancelled);
 * `maybe`, the learner came back to this page (web mode: collect, keep waiting if empty).
 */
export type WindowNews = "finished" | "closed" | "maybe";

/** A sign-in window being watched. */
export interface SignInWindow {
  /** Stop hearing about the window. */
  stop(): void;
  /**
   * Whether closing the window is how the learner cancels (the page hears it); when not,
   * the page offers its own way to stop waiting.
   */
  closingCancels: boolean;
}

/**
 * Opens the sign-in window for `challenge` on the sandbox at `baseUrl`; `onNews` hears
 * about it until `stop()` is called.
 *
 * Desktop app: the shell opens a native window and says when it is done or closed. Web
 * mode: a popup opens (call this straight from the click, or the browser blocks it); the
 * sandbox's `Cross-Origin-Opener-Policy` cuts the popup off from this page, so the page
 * watches the sandbox's live traffic for the callback instead, and checks again whenever
 * it gets the focus back.
 */
export async function openSignInWindow(
  baseUrl: string | null,
  challenge: string,
  onNews: (news: WindowNews) => void,
): Promise<SignInWindow> {
  if (inDesktopApp()) {
    let stopped = false;
    const unlisten = await listen<{ challenge: string; ended: string }>(WINDOW_EVENT, (event) => {
      if (stopped || event.payload.challenge !== challenge) return;
      onNews(event.payload.ended === "finished" ? "finished" : "closed");
    });
    try {
      await callApp<null>("open_google_sign_in", { challenge }, { method: "GET", path: "" });
    } catch (err) {
      unlisten();
      throw err;
    }
    return {
      stop: () => {
        stopped = true;
        unlisten();
      },
      closingCancels: true,
    };
  }

  if (!baseUrl) {
    throw new ApiError("The sandbox is not running: start it from the status bar first.");
  }
  const url = `${baseUrl.replace(/\/+$/, "")}${HANDOFF_START_PATH}?challenge=${encodeURIComponent(challenge)}`;
  const popup = window.open(url, "dojo-google-sign-in", "popup,width=520,height=720");
  if (!popup) {
    throw new ApiError(
      "The browser blocked the sign-in window. Allow pop-ups for this page, then try again.",
    );
  }
  const stopTraffic = onTraffic((entry) => {
    if (entry.path.startsWith(CALLBACK_PATH)) onNews("finished");
  });
  const onFocus = () => onNews("maybe");
  window.addEventListener("focus", onFocus);
  return {
    stop: () => {
      stopTraffic();
      window.removeEventListener("focus", onFocus);
    },
    closingCancels: false,
  };
}
