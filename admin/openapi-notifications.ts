/** The OpenAPI description of the webhook endpoints (./routes/notifications.ts); see ./openapi.ts. */
import { DeliveriesQuerySchema } from "../contracts/admin-wire";
import { NotificationsPutSchema } from "../contracts/notifications";
import { WRITE_ERRORS, type Endpoint } from "./openapi-endpoint";

export const NOTIFICATION_ENDPOINTS: Endpoint[] = [
  {
    method: "get",
    path: "/notifications",
    scope: "read",
    summary: "The webhook settings (secrets are write-only: `secretSet: true` instead)",
    responses: { 200: "The webhooks", 401: "Missing or wrong admin token" },
  },
  {
    method: "put",
    path: "/notifications",
    scope: "admin",
    summary: "Replace the webhook settings",
    description:
      "Each webhook receives a signed JSON POST for the events it lists (`x-edge-router-signature: sha256=<hex HMAC-SHA256 of timestamp.body>`), " +
      "sent by the Durable Object and retried with exponential backoff for up to 24 h. A webhook without `secret` keeps the secret stored for its id; a new id needs one.",
    body: {
      schema: NotificationsPutSchema,
      required: true,
      example: {
        webhooks: [
          { id: "ops-slack", url: "https://hooks.example.com/edge-router", events: ["kill", "guard-breach", "approval-needed"], secret: "4f9c2e7a1b3d5f60a8e2c4b6d8f0a2c4" },
        ],
      },
    },
    responses: { 200: "Stored (or `changed: false`)", 400: WRITE_ERRORS[400], 401: "Missing or wrong token", 415: WRITE_ERRORS[415], 422: WRITE_ERRORS[422] },
  },
  {
    method: "get",
    path: "/notifications/deliveries",
    scope: "read",
    summary: "Recent webhook deliveries, newest first: pending (with the next attempt), delivered or failed",
    query: DeliveriesQuerySchema,
    responses: { 200: "Deliveries", 400: "Invalid query", 401: "Missing or wrong admin token" },
  },
];
