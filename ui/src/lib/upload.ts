// Files to the sandbox for the Upload panel. A console request carries text only, so a
// file goes as the web view's own `multipart/form-data` body, which the app forwards byte
// for byte to the sandbox path it is given (`Dojo::upload_to_sandbox`), and objects of the
// sandbox's store are read through their presigned URL (`Dojo::fetch_sandbox_object`).
//
// Web mode: `POST /api/sandbox/upload` with the path in the `X-Sandbox-Path` header, sent
// with XMLHttpRequest rather than fetch because only it reports upload progress; images load
// from `GET /api/sandbox/object`, on the page's own origin.
// Desktop app: the framed form goes as the raw body of the `upload_to_sandbox` command (the
// IPC reports no progress, so the panel shows "on its way" until the answer comes), and an
// object's bytes come back from `fetch_sandbox_object` to be shown through a `blob:` URL.

import { invoke } from "@tauri-apps/api/core";
import { ApiError, callApp, inDesktopApp, normaliseTrace } from "../api";
import type { ConsoleResponse } from "../bindings/ConsoleResponse";

/** One file part to send: the form field the sandbox reads and the file itself. */
export interface UploadForm {
  /** The sandbox path, such as `/api/v1/images`. */
  path: string;
  /** The multipart field, such as `image` or `file`. */
  field: string;
  file: File;
}

/**
 * How far the upload has got: bytes of the request body (the file and its multipart
 * framing) sent so far, of `total`. `sent` is null while the bytes are on their way but
 * cannot be counted (the desktop app's IPC hands the body over in one piece).
 */
export interface UploadProgress {
  sent: number | null;
  total: number;
}

/**
 * Sends `form` to the sandbox and answers what the sandbox said, as the console does
 * (status, headers, body, trace). A refusal by the sandbox (4xx, 5xx) is an answer, not an
 * error; the promise rejects only when the app or the sandbox could not be reached.
 */
export async function uploadToSandbox(
  form: UploadForm,
  onProgress: (progress: UploadProgress) => void = () => {},
): Promise<ConsoleResponse> {
  const answer = inDesktopApp()
    ? await uploadThroughIpc(form, onProgress)
    : await uploadOverHttp(form, onProgress);
  return { ...answer, trace: answer.trace ? normaliseTrace(answer.trace) : null };
}

/** The form as the web view frames it for a request: its bytes and its Content-Type. */
async function framed(form: UploadForm): Promise<{ body: Uint8Array; contentType: string }> {
  const data = new FormData();
  data.append(form.field, form.file, form.file.name);
  const request = new Response(data);
  const contentType = request.headers.get("Content-Type") ?? "";
  return { body: new Uint8Array(await request.arrayBuffer()), contentType };
}

async function uploadThroughIpc(
  form: UploadForm,
  onProgress: (progress: UploadProgress) => void,
): Promise<ConsoleResponse> {
  const { body, contentType } = await framed(form);
  const total = body.byteLength;
  onProgress({ sent: null, total });
  let answer: ConsoleResponse;
  try {
    answer = await invoke<ConsoleResponse>("upload_to_sandbox", body, {
      headers: { "X-Sandbox-Path": form.path, "X-Upload-Content-Type": contentType },
    });
  } catch (err) {
    throw refusal(err);
  }
  // The app answers only once the whole body reached the sandbox and it replied.
  onProgress({ sent: total, total });
  return answer;
}

// A command rejects with the app's problem (or, from the IPC itself, a plain string).
function refusal(err: unknown): ApiError {
  if (typeof err === "string") return new ApiError(err);
  if (err && typeof err === "object") {
    const problem = err as Record<string, unknown>;
    const detail = typeof problem.detail === "string" ? problem.detail : null;
    const title = typeof problem.title === "string" ? problem.title : null;
    const status = typeof problem.status === "number" ? problem.status : null;
    if (detail || title) return new ApiError(detail ?? title ?? "", status, title);
  }
  return new ApiError("The desktop app could not carry the file to the sandbox.");
}

function uploadOverHttp(
  form: UploadForm,
  onProgress: (progress: UploadProgress) => void,
): Promise<ConsoleResponse> {
  const body = new FormData();
  body.append(form.field, form.file, form.file.name);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/api/sandbox/upload");
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-Sandbox-Path", form.path);
    request.responseType = "text";
    // The body is the file plus its multipart framing; until the browser says how long
    // that is, the file's own size stands in.
    let total = form.file.size;
    request.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      total = event.total;
      onProgress({ sent: event.loaded, total });
    });
    request.upload.addEventListener("load", () => onProgress({ sent: total, total }));
    request.addEventListener("error", () => {
      reject(new ApiError("Could not reach the Backend Dojo server. Is `dojo serve` still running?"));
    });
    request.addEventListener("load", () => {
      let parsed: Record<string, unknown> | null = null;
      try {
        parsed = JSON.parse(request.responseText) as Record<string, unknown>;
      } catch {
        parsed = null;
      }
      if (request.status !== 200 || !parsed) {
        const detail = parsed && typeof parsed.detail === "string" ? parsed.detail : null;
        const title = parsed && typeof parsed.title === "string" ? parsed.title : null;
        reject(
          new ApiError(detail ?? `The server answered ${request.status}.`, request.status, title),
        );
        return;
      }
      resolve(parsed as unknown as ConsoleResponse);
    });
    request.send(body);
  });
}

/** Where an `<img>` loads one object of the sandbox's store from; `release` frees it. */
export interface ObjectSource {
  src: string;
  release: () => void;
}

/**
 * The address to show one object of the sandbox's store, given its presigned path and the
 * type the sandbox stored it as. In web mode the page loads it from its own origin (a
 * refusal of the store shows as an image that fails to load); in the desktop app its bytes
 * are read first and the promise rejects with the store's reason when it refuses.
 */
export async function objectSource(presignedPath: string, type: string): Promise<ObjectSource> {
  if (!inDesktopApp()) {
    return { src: `/api/sandbox/object?path=${encodeURIComponent(presignedPath)}`, release: () => {} };
  }
  const bytes = await callApp<ArrayBuffer>(
    "fetch_sandbox_object",
    { path: presignedPath },
    { method: "GET", path: "" },
  );
  const src = URL.createObjectURL(new Blob([bytes], { type }));
  return { src, release: () => URL.revokeObjectURL(src) };
}

/** Bytes for people: "812 B", "14.2 KiB", "3.10 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}
