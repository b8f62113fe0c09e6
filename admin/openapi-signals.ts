/** The OpenAPI description of the signal endpoints (./routes/signals.ts); see ./openapi.ts. */
import { SignalPushSchema } from "../contracts/external";
import type { Endpoint } from "./openapi-endpoint";

export const SIGNAL_ENDPOINTS: Endpoint[] = [
  {
    method: "post",
    path: "/rollouts/{id}/signals/{name}",
    scope: "operate",
    summary: 'Push a value to a signal the rollout\'s guard reads (a `"provider": "signal"` check); judged at the next alarm, within 5 s',
    description:
      "`at` (when the value was measured) defaults to now and is never taken as later than now. The last 100 values per signal are kept. A name no signal check of the rollout reads is refused (404 `signal-not-found`, listing the names it reads), so a typo in a deploy script does not go unnoticed.",
    body: { schema: SignalPushSchema, required: true, example: { value: 0.2, note: "smoke tests: 1 of 5 failed" } },
    responses: {
      201: "Stored: `{ rollout, name, value: { value, at, note, by } }`",
      400: "Unreadable request (malformed JSON, no body, bad X-Actor)",
      404: "Unknown rollout, or no signal check of the rollout reads this name",
      413: "Body too large",
      415: "Body is not JSON",
      422: "Invalid body or signal name: field-level errors in `errors`",
    },
  },
  {
    method: "get",
    path: "/rollouts/{id}/signals/{name}",
    scope: "read",
    summary: "The values pushed to one signal, newest first: `{ name, values: [{ value, at, note, by }] }`",
    responses: { 200: "The values", 404: "Unknown rollout or signal", 422: "Invalid rollout id or signal name" },
  },
  {
    method: "get",
    path: "/rollouts/{id}/signals",
    scope: "read",
    summary: "Every signal the rollout's checks read or a value was pushed to, with its values newest first: `{ rollout, signals: [{ name, values }] }`",
    responses: { 200: "The signals", 404: "Unknown rollout", 422: "Invalid rollout id" },
  },
];
