// PDF export: start a job, follow it, then get its first-page preview and the file.
// In the desktop app the file is saved through a native dialog; in web mode it downloads.

import { callApp, inDesktopApp } from "./api";
import type { ExportJob } from "./bindings/ExportJob";
import type { ExportRequest } from "./bindings/ExportRequest";

/** Starts an export; poll `exportJob` until its state is no longer "running". */
export function startExport(request: ExportRequest): Promise<ExportJob> {
  return callApp(
    "start_export",
    { request },
    { method: "POST", path: "/api/export/pdf", body: request },
  );
}

/** Where an export stands. */
export function exportJob(id: number): Promise<ExportJob> {
  return callApp("export_job", { id }, { method: "GET", path: `/api/export/jobs/${id}` });
}

/** An image address for the first page of a finished export. */
export async function exportPreview(id: number): Promise<string> {
  if (inDesktopApp()) {
    return callApp<string>("export_preview", { id }, { method: "GET", path: "" });
  }
  return `/api/export/jobs/${id}/preview.png`;
}

/** The web-mode download address of a finished export (null in the desktop app). */
export function exportDownloadHref(id: number): string | null {
  return inDesktopApp() ? null : `/api/export/jobs/${id}/file`;
}

/**
 * Desktop only: asks where to save the PDF with the system's dialog and writes it there.
 * Resolves to the path, or null when the learner cancelled.
 */
export function saveExport(id: number): Promise<string | null> {
  return callApp<string | null>("save_export", { id }, { method: "GET", path: "" });
}
