/**
 * What the tool accepts: every command with its arguments, options and help text, in one table
 * that both the argument parser (./args.ts) and the help (./help.ts) read. A data table: it grows
 * by an entry per command or option, which is why it is longer than the other modules.
 */

export type OptionName =
  | "url"
  | "prefix"
  | "token"
  | "actor"
  | "json"
  | "no-color"
  | "help"
  | "reason"
  | "all"
  | "dry-run"
  | "window"
  | "interval"
  | "count"
  | "file"
  | "rollout"
  | "errors"
  | "scopes"
  | "expires"
  | "env"
  | "against"
  | "header"
  | "country";

export interface OptionSpec {
  /** Takes a value (`--reason "..."` or `--reason=...`), or is a flag. */
  value?: string;
  /** May be given more than once; the values are kept one per line. */
  repeatable?: boolean;
  help: string;
}

export const OPTIONS: Record<OptionName, OptionSpec> = {
  url: { value: "URL", help: "router URL, e.g. http://127.0.0.1:8787 (default: $EDGE_ROUTER_URL)" },
  prefix: { value: "PATH", help: "the router's ADMIN_PATH_PREFIX (default: $EDGE_ROUTER_PREFIX, else /__admin)" },
  token: { value: "TOKEN", help: "the router's ADMIN_TOKEN or a named token er_<id>_<secret> (default: $EDGE_ROUTER_TOKEN)" },
  actor: { value: "NAME", help: "who is behind the token, a note in the audit log (X-Actor; the actor is the token's name; default: $EDGE_ROUTER_ACTOR)" },
  json: { help: "print JSON for scripts instead of text" },
  "no-color": { help: "no colours (also: NO_COLOR=1; FORCE_COLOR=1 forces them)" },
  help: { help: "show help" },
  reason: { value: "TEXT", help: "why, for the audit log (up to 500 characters)" },
  all: { help: "the global kill switch: every rollout" },
  "dry-run": { help: "show the diff, change nothing" },
  window: { value: "SECONDS", help: "window in seconds, 10-3600 (watch: health, default 60; shadow: default 300)" },
  interval: { value: "SECONDS", help: "seconds between refreshes (default 2)" },
  count: { value: "N", help: "stop after N refreshes (default: until Ctrl-C)" },
  file: { value: "FILE", help: "read the rollout config from this file instead of the router (fully offline)" },
  rollout: { value: "ID", help: "only requests of this rollout" },
  errors: { help: "only requests that failed (5xx or no response)" },
  scopes: { value: "LIST", help: "comma-separated: read, operate, admin, evaluate" },
  expires: { value: "TIME", help: "when the token stops working, ISO-8601, e.g. 2026-12-31T00:00:00Z (default: never)" },
  env: {
    value: "NAME",
    help: "the router of environment NAME in .edge-router.json (or $EDGE_ROUTER_CONFIG): its URL, prefix, and token from the variable it names",
  },
  against: { value: "NAME", help: "the environment to compare with (in the same file), e.g. production" },
  header: { value: "NAME=VALUE", repeatable: true, help: "a request header targeting rules see (repeat for more), e.g. --header canary=true" },
  country: { value: "CC", help: "the country targeting rules see (request.cf.country), e.g. DE" },
};

/** Options every command that talks to the router accepts. */
const REMOTE: OptionName[] = ["env", "url", "prefix", "token", "actor", "json"];

export interface CommandSpec {
  name: string;
  /** Positional arguments, e.g. `<id> <percent>`; `[x]` is optional. */
  args: string;
  /** Fewest and most positional arguments. */
  min: number;
  max: number;
  summary: string;
  /** A few lines on what it does exactly. */
  details: string;
  options: OptionName[];
  examples: string[];
}

export const COMMANDS: CommandSpec[] = [
  {
    name: "status",
    args: "[id]",
    min: 0,
    max: 1,
    summary: "every rollout as a table, or one in detail",
    details:
      "Status is live, paused, killed or complete. The global kill switch, when on, is shown above everything.\n" +
      "With --json: the admin API's answer as is (GET /rollouts, or GET /rollouts/<id>).",
    options: REMOTE,
    examples: ["edge-router status", "edge-router status checkout-v2", "edge-router status --json | jq '.rollouts[].id'"],
  },
  {
    name: "set",
    args: "<id> <percent>",
    min: 2,
    max: 2,
    summary: "set the share of users on new (0-100, steps of 0.01)",
    details:
      "Reads the rollout, then PATCHes {percent} with If-Match of the version read, so a change made by someone\n" +
      "else in between is refused (exit 6) rather than overwritten. Raising the percentage only adds users to new.",
    options: REMOTE,
    examples: ["edge-router set checkout-v2 25", "edge-router set checkout-v2 0.5 --actor alice@example.com"],
  },
  {
    name: "kill",
    args: "<id>",
    min: 0,
    max: 1,
    summary: "kill switch: everyone on the rollout to legacy (--all: every rollout)",
    details: "Takes effect on every request that starts within a second. The reason goes into the audit log.",
    options: [...REMOTE, "reason", "all"],
    examples: ['edge-router kill checkout-v2 --reason "5xx spike on new"', 'edge-router kill --all --reason "incident 4711"'],
  },
  {
    name: "resume",
    args: "<id>",
    min: 0,
    max: 1,
    summary: "turn a kill switch off (--all: the global one)",
    details: "Resuming the global switch leaves rollouts killed one by one killed.",
    options: [...REMOTE, "reason", "all"],
    examples: ["edge-router resume checkout-v2", "edge-router resume --all"],
  },
  {
    name: "pause",
    args: "<id>",
    min: 1,
    max: 1,
    summary: "stop a staged rollout from advancing",
    details: "The percentage stays where it is until `continue`.",
    options: [...REMOTE, "reason"],
    examples: ['edge-router pause checkout-v2 --reason "waiting for the DB migration"'],
  },
  {
    name: "continue",
    args: "<id>",
    min: 1,
    max: 1,
    summary: "let a paused staged rollout advance again",
    details: "The current stage's hold goes on; the guard still has to be healthy to move on.",
    options: [...REMOTE, "reason"],
    examples: ["edge-router continue checkout-v2"],
  },
  {
    name: "promote",
    args: "<id>",
    min: 1,
    max: 1,
    summary: "move a staged rollout to its next stage now",
    details: "Sent with If-Match of the version read, so two operators promoting at once move it one stage, not two.",
    options: [...REMOTE, "reason"],
    examples: ["edge-router promote checkout-v2"],
  },
  {
    name: "approve",
    args: "<id>",
    min: 1,
    max: 1,
    summary: "let a staged rollout into its next stage, one that requires approval (a go/no-go)",
    details:
      "Reads the rollout, then approves with If-Match of the version read, so you approve the stage you saw. The\n" +
      "scheduler enters it within 5 s once its hold, guard and schedule allow. Refused (exit 7) when no next stage\n" +
      "waits for an approval. The reason goes into the audit log.",
    options: [...REMOTE, "reason"],
    examples: ['edge-router approve checkout-v2 --reason "go/no-go: error rate 0.04%, p95 +6 ms"'],
  },
  {
    name: "apply",
    args: "<file.json>",
    min: 1,
    max: 1,
    summary: "config as code: validate, diff against the live config, apply with If-Match",
    details:
      'The file holds one rollout config, an array of them, or { "segments": [...], "rollouts": [...] }. Every\n' +
      "config is validated locally with the router's own schema first: on any error nothing is sent. Every\n" +
      "segment a rule names must be in the file or on the router. Then each segment and rollout is read, its\n" +
      "differences printed, and written (segments first) with PUT and If-Match of the version read (creates:\n" +
      "must not exist yet). Rollouts and segments left out of the file are not touched. A rollout's kill switch\n" +
      'is kept as it is unless the file sets "killed" explicitly (use kill/resume, so that the audit log says why).',
    options: [...REMOTE, "dry-run"],
    examples: [
      "edge-router apply rollouts.json --dry-run",
      "edge-router apply rollouts.json --actor ci",
      "edge-router apply rollouts.json --env staging",
      "edge-router apply examples/plans/plan-3-vision-to-code.json --dry-run",
    ],
  },
  {
    name: "diff",
    args: "[id]",
    min: 0,
    max: 1,
    summary: "what differs between two environments' rollouts (exit 0 when the same, 11 when not)",
    details:
      "Reads every rollout (or one) from both routers and prints, per rollout, the fields that differ as\n" +
      "`field: <--against value> → <--env value>`, i.e. what applying this environment's configs to the other\n" +
      "would change; rollouts only one side has, and a global kill switch on one side only. The percentage and the\n" +
      "kill switch count: a staged rollout moves its percentage itself. Exit 0 when the same, 11 when they differ.",
    options: [...REMOTE, "against"],
    examples: ["edge-router diff --env staging --against production", "edge-router diff checkout-v2 --env staging --against production --json"],
  },
  {
    name: "watch",
    args: "<id>",
    min: 1,
    max: 1,
    summary: "live per-variant health and the guard's verdict, until Ctrl-C",
    details: "Polls GET /rollouts/<id>/health every --interval seconds. With --json: one JSON object per line.",
    options: [...REMOTE, "window", "interval", "count"],
    examples: ["edge-router watch checkout-v2", "edge-router watch checkout-v2 --window 300 --interval 5"],
  },
  {
    name: "shadow",
    args: "<id>",
    min: 1,
    max: 1,
    summary: "shadow traffic: how often new answered differently from legacy, per path prefix, with examples",
    details:
      "Reads GET /rollouts/<id>/shadow over --window seconds (default 300): per matched path prefix the mirrors sent,\n" +
      "matched, differed (by kind: status, header, body), unanswered (timeouts, errors: not mismatches), the mismatch\n" +
      "rate and both p95s; then the newest mismatches (at most 20), each with the JSON Pointer of the first difference\n" +
      "and both values. With --json: the API's answer as is.",
    options: [...REMOTE, "window"],
    examples: ["edge-router shadow checkout-v2", "edge-router shadow checkout-v2 --window 3600 --json | jq '.totals'"],
  },
  {
    name: "bucket",
    args: "<id> <user-id>",
    min: 2,
    max: 2,
    summary: "which variant a user gets and why, computed offline with the edge's own code",
    details:
      "Reads the config once (or from --file, without any network), then runs the edge's hash and decision:\n" +
      "variant, reason, bucket, threshold, and from which percentage on the user is in new. The user id is\n" +
      "what the router reads from the rollout's stickiness source (by default the x-user-id header).\n" +
      "Targeting rules see the request's --header and --country, nothing else (no cookies, query or claims).",
    options: [...REMOTE, "file", "header", "country"],
    examples: [
      "edge-router bucket checkout-v2 user-42",
      "edge-router bucket checkout-v2 user-42 --file rollouts.json --json",
      "edge-router bucket checkout-v2 user-42 --header canary=true --country DE",
    ],
  },
  {
    name: "token",
    args: "<create|list|revoke> [NAME|ID]",
    min: 1,
    max: 2,
    summary: "named tokens with scopes: create (shows the secret once), list, revoke",
    details:
      "create NAME --scopes read,operate [--expires TIME]: prints the token (er_<id>_<secret>) alone on stdout, once:\n" +
      "the router keeps only its SHA-256. Scopes: read (every GET), operate (kill, resume, pause, continue, promote,\n" +
      "percentage changes, the global switch), admin (everything, tokens included), evaluate (flag evaluation only).\n" +
      "Everything done with a token is audited under its NAME. list: id, name, scopes, creator, expiry (never a\n" +
      "secret). revoke ID: the token fails everywhere within the config freshness window (under a second).\n" +
      "All three need an admin token.",
    options: [...REMOTE, "scopes", "expires"],
    examples: [
      "edge-router token create ci-deploy --scopes read,operate --expires 2026-12-31T00:00:00Z > ci-token.txt",
      "edge-router token list",
      "edge-router token revoke 0123456789abcdef",
    ],
  },
  {
    name: "tail",
    args: "",
    min: 0,
    max: 0,
    summary: "one readable line per proxied request, from `wrangler tail --format json` on stdin",
    details:
      "Also reads the router's raw JSON log lines (e.g. from wrangler dev). Anything else is skipped.\n" +
      "Columns: time (UTC), rollout, variant, reason, bucket<threshold, status, latency, method and path.",
    options: ["json", "no-color", "rollout", "errors"],
    examples: ["npx wrangler tail --format json | edge-router tail", "npx wrangler tail --format json | edge-router tail --rollout checkout-v2 --errors"],
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
