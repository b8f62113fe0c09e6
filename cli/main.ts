/**
 * `edge-router`: the operators' command-line tool, on the same admin API as the dashboard, with the
 * worker's own schemas, hash and decision code (so `apply` validates and `bucket` decides exactly
 * as the edge does). Run through bin/edge-router.mjs, which bundles this file.
 *
 * Layout: spec.ts (commands and options) → args.ts (parsing) → commands/*.ts (one per command),
 * client.ts (the only HTTP), exit.ts (exit codes); pure helpers in format.ts, diff.ts,
 * config-file.ts, bucket.ts and tail.ts; environments.ts reads the `--env` file.
 */
import { createInterface } from "node:readline";
import { parseArgs, settings } from "./args";
import { AdminClient } from "./client";
import { apply } from "./commands/apply";
import { bucket } from "./commands/bucket";
import { diff } from "./commands/diff";
import { shadow } from "./commands/shadow";
import { status } from "./commands/status";
import { tail } from "./commands/tail";
import { token } from "./commands/token";
import { watch } from "./commands/watch";
import { approve, kill, pauseOrContinue, promote, resume, set } from "./commands/write";
import type { Context, Io } from "./context";
import { readEnvironmentsFile, selectEnvironment } from "./environments";
import { CliError, EXIT, type ExitCode } from "./exit";
import { pickColors } from "./format";
import { commandHelp, toolHelp } from "./help";

export { EXIT } from "./exit";

/** Each command; one that answers a yes/no question (diff) returns its exit code. */
// biome-ignore lint/suspicious/noConfusingVoidType: most commands return nothing; diff returns its code
const RUN: Record<string, (ctx: Context) => Promise<void | ExitCode>> = {
  status,
  set,
  kill,
  resume,
  pause: (ctx) => pauseOrContinue(ctx, "pause"),
  continue: (ctx) => pauseOrContinue(ctx, "continue"),
  promote,
  approve,
  apply,
  diff,
  watch,
  shadow,
  bucket,
  tail,
  token,
};

/** The real terminal: stdout, stderr, stdin, the clock, Ctrl-C. */
export function processIo(): Io {
  const interrupt = new AbortController();
  const stop = () => {
    if (interrupt.signal.aborted) process.exit(130); // a second Ctrl-C: leave now
    interrupt.abort();
  };
  process.once("SIGTERM", stop);
  process.on("SIGINT", stop);
  // `edge-router status | head -1`: a closed pipe is not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  return {
    out: (text) => process.stdout.write(text + "\n"),
    write: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text + "\n"),
    isTTY: !!process.stdout.isTTY,
    lines: () => {
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      interrupt.signal.addEventListener("abort", () => lines.close());
      return lines;
    },
    stdinIsTTY: !!process.stdin.isTTY,
    now: () => new Date(),
    interrupted: interrupt.signal,
    env: process.env,
  };
}

/** Runs one command line; returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<ExitCode> {
  try {
    const parsed = parseArgs(argv);
    if (parsed.help || !parsed.command) {
      io.out(parsed.command ? commandHelp(parsed.command) : toolHelp());
      return parsed.help ? EXIT.ok : EXIT.usage;
    }
    const selected = parsed.values.env === undefined ? undefined : selectEnvironment(readEnvironmentsFile(io.env), parsed.values.env, io.env);
    const config = settings(parsed.values, io.env, selected);
    let client: AdminClient | undefined;
    const ctx: Context = {
      args: parsed.args,
      values: parsed.values,
      settings: config,
      io,
      c: pickColors(io.isTTY, io.env, parsed.values["no-color"] === "true"),
      client: () => (client ??= new AdminClient({ ...config, signal: io.interrupted })),
    };
    return (await RUN[parsed.command.name]!(ctx)) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`edge-router: ${error.message}`);
      return error.code;
    }
    if (io.interrupted.aborted) return EXIT.interrupted;
    io.err(`edge-router: unexpected error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.failed;
  }
}
