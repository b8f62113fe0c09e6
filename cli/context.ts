/** What every command gets: its arguments, the settings, the terminal, and the router client. */
import type { Parsed, Settings } from "./args";
import type { AdminClient } from "./client";
import type { Colors } from "./format";

/** The outside world, passed in so that commands can be run and tested without a real terminal. */
export interface Io {
  /** Writes one line (or several) to stdout. */
  out(text: string): void;
  /** Writes raw text to stdout (terminal control sequences for `watch`). */
  write(text: string): void;
  /** Writes one line to stderr. */
  err(text: string): void;
  /** stdout is a terminal. */
  isTTY: boolean;
  /** Lines of stdin (ending on Ctrl-C too). */
  lines(): AsyncIterable<string>;
  /** stdin is a terminal, i.e. nothing is piped in. */
  stdinIsTTY: boolean;
  now(): Date;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  interrupted: AbortSignal;
  env: Record<string, string | undefined>;
}

export interface Context {
  args: string[];
  values: Parsed["values"];
  settings: Settings;
  io: Io;
  c: Colors;
  /** The admin API client; only commands that need the router create it (so offline ones need no URL). */
  client(): AdminClient;
}
