/**
 * The OFREP v1 wire format (open-feature/protocol `service/openapi.yaml`, 0.3.0): bodies, reasons,
 * error codes, and the one function that turns an error into its status. Errors are OFREP's own
 * bodies, not RFC 9457: the OpenFeature providers read `errorCode` (and, for one flag, `key`), and
 * they know only the statuses 200, 304, 400, 401, 403, 404, 429 and 500 (anything else becomes
 * GENERAL). No I/O.
 */
import type { Variant } from "../../contracts/decision";

/** The base path of every OFREP endpoint; nothing under it is ever proxied. */
export const OFREP_PREFIX = "/ofrep/v1";
/** Bulk evaluation (web providers). */
export const BULK_PATH = `${OFREP_PREFIX}/evaluate/flags`;

/** OpenFeature resolution reasons that OFREP allows in a success. */
export type OfrepReason = "STATIC" | "TARGETING_MATCH" | "SPLIT" | "DISABLED" | "UNKNOWN";

/** OpenFeature error codes that OFREP allows in a failure. */
export type OfrepErrorCode = "PARSE_ERROR" | "TARGETING_KEY_MISSING" | "INVALID_CONTEXT" | "FLAG_NOT_FOUND" | "GENERAL";

/** OFREP metadata is flat: the providers drop any member that is not a string, number or boolean. */
export type FlatMetadata = Record<string, string | number | boolean>;

/** One flag evaluated. The flag is a rollout: `value` true = the new variant. */
export interface EvaluationSuccess {
  key: string;
  value: boolean;
  reason: OfrepReason;
  variant: Variant;
  metadata: FlatMetadata;
}

/** One flag that could not be evaluated (`key` is required, or the Node provider reports GENERAL). */
export interface EvaluationFailure {
  key: string;
  errorCode: OfrepErrorCode;
  errorDetails: string;
}

export type FlagResult = EvaluationSuccess | EvaluationFailure;

/** The answer of the bulk endpoint: every flag, and metadata of the whole set. */
export interface BulkEvaluationSuccess {
  flags: FlagResult[];
  metadata: FlatMetadata;
}

/** An evaluation request that failed as a whole (tagged; turned into HTTP by {@link errorStatus}). */
export interface OfrepError {
  code: OfrepErrorCode;
  detail: string;
}

/** The status of each error code: only statuses the OFREP providers map to the code itself. */
export function errorStatus(code: OfrepErrorCode): 400 | 404 | 500 {
  switch (code) {
    case "PARSE_ERROR":
    case "TARGETING_KEY_MISSING":
    case "INVALID_CONTEXT":
      return 400;
    case "FLAG_NOT_FOUND":
      return 404;
    case "GENERAL":
      return 500;
  }
}

/** The JSON media type the providers require on a 200 (`application/json`, any parameters). */
const JSON_TYPE = "application/json";

/**
 * A JSON response. `no-store`: an evaluation is one user's, so no shared cache may keep it (the
 * bulk endpoint's ETag is for the provider's own revalidation, not for HTTP caches).
 */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": JSON_TYPE, "cache-control": "no-store", ...headers } });
}

/** A failed request: `{ key, errorCode, errorDetails }` for one flag, `{ errorCode, errorDetails }` in bulk. */
export function errorResponse(error: OfrepError, key: string | undefined): Response {
  const body = key === undefined ? { errorCode: error.code, errorDetails: error.detail } : { key, errorCode: error.code, errorDetails: error.detail };
  return jsonResponse(errorStatus(error.code), body);
}
