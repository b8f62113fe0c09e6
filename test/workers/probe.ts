/** The workerd tests' side of the upload probe origin (test/setup/upload-probe.ts). */
import { inject } from "vitest";
import type { UploadProgress } from "../setup/upload-probe";

export type { UploadProgress, UploadReceipt } from "../setup/upload-probe";

/** The probe origin's URL (started by the global setup). */
export const probeOrigin = (): string => inject("probeOrigin");

/** How much of upload `id` the probe has received so far, asked directly (not through the router). */
export async function uploadProgress(id: string): Promise<UploadProgress> {
  const res = await fetch(`${probeOrigin()}/__probe/progress/${id}`);
  return res.json<UploadProgress>();
}

/**
 * Polls the probe until it has received at least `bytes` of upload `id`, or `timeoutMs` passed;
 * returns what it saw last either way, so that a router that buffers makes an assertion fail
 * instead of hanging the test.
 */
export async function waitForUpload(id: string, bytes: number, timeoutMs: number): Promise<UploadProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await uploadProgress(id);
    if (seen.bytes >= bytes || Date.now() >= deadline) return seen;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** SHA-256 of `data`, lowercase hex (what the probe answers). */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

export function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
