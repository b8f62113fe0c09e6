/**
 * Command-line parsing against the table in ./spec.ts. Pure: argv and the environment in, a parsed
 * command or a usage error out.
 */
import type { SelectedEnvironment } from "./environments";
import { CliError, EXIT } from "./exit";
import { COMMANDS, findCommand, OPTIONS, type CommandSpec, type OptionName } from "./spec";

export interface Parsed {
  /** `undefined` for `edge-router` alone or `edge-router --help`. */
  command: CommandSpec | undefined;
  args: string[];
  help: boolean;
  /** Option values as given (flags are "true"). */
  values: Partial<Record<OptionName, string>>;
}

export interface Settings {
  url: string | undefined;
  /** The router's admin path prefix. @default "/__admin" */
  prefix: string | undefined;
  token: string | undefined;
  actor: string | undefined;
  json: boolean;
  /** The environment (`--env`) the URL, prefix and token came from. */
  environment?: string;
  /** Where the token is expected, for messages. @default "EDGE_ROUTER_TOKEN" */
  tokenSource?: string;
}

const isOption = (name: string): name is OptionName => Object.hasOwn(OPTIONS, name);

export function parseArgs(argv: readonly string[]): Parsed {
  const positional: string[] = [];
  const values: Partial<Record<OptionName, string>> = {};
  let help = false;
  let onlyPositional = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositional || !arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositional = true;
      continue;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!arg.startsWith("--") || !isOption(name)) throw new CliError(EXIT.usage, `unknown option ${arg} (see edge-router --help)`);
    if (OPTIONS[name].value) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new CliError(EXIT.usage, `--${name} needs a value (${OPTIONS[name].value})`);
      // A repeatable option keeps every value, one per line (`--header a=1 --header b=2`).
      values[name] = OPTIONS[name].repeatable && values[name] !== undefined ? `${values[name]}\n${value}` : value;
    } else {
      if (eq !== -1) throw new CliError(EXIT.usage, `--${name} takes no value`);
      values[name] = "true";
    }
  }
  const [name, ...args] = positional;
  if (name === undefined) return { command: undefined, args: [], help, values };
  if (name === "help") {
    // `edge-router help set` = `edge-router set --help`
    const about = args[0] === undefined ? undefined : findCommand(args[0]);
    if (args[0] !== undefined && !about) throw unknownCommand(args[0]);
    return { command: about, args: [], help: true, values };
  }
  const command = findCommand(name);
  if (!command) throw unknownCommand(name);
  if (help) return { command, args, help, values };
  for (const option of Object.keys(values) as OptionName[]) {
    if (!command.options.includes(option) && option !== "no-color") {
      throw new CliError(EXIT.usage, `${command.name} has no option --${option} (see edge-router ${command.name} --help)`);
    }
  }
  if (args.length < command.min || args.length > command.max) {
    throw new CliError(EXIT.usage, `usage: edge-router ${command.name} ${command.args}`.trimEnd() + ` (see edge-router ${command.name} --help)`);
  }
  return { command, args, help, values };
}

function unknownCommand(name: string): CliError {
  const near = COMMANDS.find((c) => c.name.startsWith(name.slice(0, 3)));
  return new CliError(EXIT.usage, `unknown command "${name}"${near ? ` (did you mean ${near.name}?)` : ""}; see edge-router --help`);
}

/**
 * Flags over the `--env` environment over environment variables. With `--env`, the URL, prefix
 * and token never come from EDGE_ROUTER_URL, EDGE_ROUTER_PREFIX or EDGE_ROUTER_TOKEN: a staging
 * token left in the shell is never sent to production.
 */
export function settings(values: Parsed["values"], env: Record<string, string | undefined>, selected?: SelectedEnvironment): Settings {
  if (selected) {
    return {
      url: values.url ?? selected.url,
      prefix: values.prefix ?? selected.prefix,
      token: values.token ?? selected.token,
      actor: values.actor ?? (env.EDGE_ROUTER_ACTOR || undefined),
      json: values.json === "true",
      environment: selected.name,
      tokenSource: `${selected.tokenEnv} (the token variable of environment "${selected.name}")`,
    };
  }
  return {
    url: values.url ?? (env.EDGE_ROUTER_URL || undefined),
    prefix: values.prefix ?? (env.EDGE_ROUTER_PREFIX || undefined),
    token: values.token ?? (env.EDGE_ROUTER_TOKEN || undefined),
    actor: values.actor ?? (env.EDGE_ROUTER_ACTOR || undefined),
    json: values.json === "true",
  };
}

/** A whole number option within bounds, e.g. `--window 60`. */
export function intOption(values: Parsed["values"], name: OptionName, fallback: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CliError(EXIT.usage, `--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A positive number of seconds, fractions allowed (`--interval 0.5`). */
export function secondsOption(values: Parsed["values"], name: OptionName, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0.1 || value > 3600) throw new CliError(EXIT.usage, `--${name} must be a number of seconds from 0.1 to 3600, got ${JSON.stringify(raw)}`);
  return value;
}
