/**
 * Exit codes of the `edge-router` tool: one per kind of failure, so that scripts and CI pipelines
 * can tell "the file is wrong" from "the router is down" from "someone changed it under you".
 * Listed in `--help` (see ./help.ts); never renumber one.
 */
export const EXIT = {
  ok: 0,
  /** Unknown command or option, missing argument, no router URL. */
  usage: 1,
  /** Local validation failed: the config file or an argument (nothing was sent). */
  invalid: 2,
  /** The router could not be reached (connection refused, DNS, timeout). */
  unreachable: 3,
  /** 401: no token, or not the router's ADMIN_TOKEN. */
  unauthorized: 4,
  /** 404: no rollout with that id (or not in the --file). */
  notFound: 5,
  /** 412: changed by someone else since it was read. */
  stale: 6,
  /** 400/409/413/415/422: the router refused the request; nothing was changed. */
  refused: 7,
  /** 404 for the endpoint itself: this router is older than the tool. */
  unsupported: 8,
  /** Anything else: a 5xx, or an answer that is not the admin API. */
  failed: 9,
  /** 403: the token is valid but lacks the scope the command needs. */
  forbidden: 10,
  /** `diff`: the two environments' rollouts differ (not a failure: the answer to the question asked). */
  differ: 11,
  /** Ctrl-C before a command finished (the shell's convention: 128 + SIGINT). Not for `watch`/`tail`, which Ctrl-C ends normally. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: a one-line (or a few lines for field errors) message and its exit code. */
export class CliError extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
    /** The problem `type` slug the router answered with, when it answered one. */
    readonly problemType?: string,
  ) {
    super(message);
  }
}
