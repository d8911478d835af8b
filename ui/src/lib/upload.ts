// Files to the sandbox for the Upload panel. A console request carries text only, so in
// web mode a file goes to the app's `POST /api/sandbox/upload` as the browser's own
// `multipart/form-data` body, which the app forwards byte for byte to the sandbox path in
// the `X-Sandbox-Path` header. XMLHttpRequest rather than fetch: only it reports upload
// progress. Objects of the sandbox's store are shown through `GET /api/sandbox/object`,
// which follows their presigned URL, so images load from the page's own origin.

import { ApiError, inDesktopApp, normaliseTrace } from "../api";
import type { ConsoleResponse } from "../bindings/ConsoleResponse";

/** One file part to send: the form field the sandbox reads and the file itself. */
export interface UploadForm {
  /** The sandbox path, such as `/api/v1/images`. */
  path: string;
  /** The multipart field, such as `image` or `file`. */
  field: string;
  file: File;
}

/** How far the upload has got: bytes of the request body sent so far, of `total`. */
export interface UploadProgress {
  sent: number;
  total: number;
}

/**
 * Sends `form` to the sandbox and answers what the sandbox said, as the console does
 * (status, headers, body, trace). A refusal by the sandbox (4xx, 5xx) is an answer, not an
 * error; the promise rejects only when the app or the sandbox could not be reached.
 */
export function uploadToSandbox(
  form: UploadForm,
  onProgress: (progress: UploadProgress) => void = () => {},
): Promise<ConsoleResponse> {
  if (inDesktopApp()) {
    return Promise.reject(
      new ApiError(
        "The desktop app cannot carry files to the sandbox yet. Run `dojo serve` and use this panel in the browser, or upload with curl.",
      ),
    );
  }
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
      const answer = parsed as unknown as ConsoleResponse;
      resolve({ ...answer, trace: answer.trace ? normaliseTrace(answer.trace) : null });
    });
    request.send(body);
  });
}

/** Where the page loads an object of the sandbox's store from, given its presigned path. */
export function objectSource(presignedPath: string): string {
  return `/api/sandbox/object?path=${encodeURIComponent(presignedPath)}`;
}

/** Bytes for people: "812 B", "14.2 KiB", "3.10 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}
