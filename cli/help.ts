/** Help text, rendered from the command table (./spec.ts) so that it cannot drift from the parser. */
import { COMMANDS, OPTIONS, type CommandSpec, type OptionName } from "./spec";

const EXIT_CODES = `Exit codes
    0  ok
    1  usage: unknown command or option, missing argument, no router URL
    2  invalid input, checked locally (config file, percentage); nothing was sent
    3  router unreachable (connection refused, DNS, timeout)
    4  unauthorized (401): set EDGE_ROUTER_TOKEN to the router's ADMIN_TOKEN or a live named token
    5  rollout not found (404)
    6  changed by someone else since it was read (412): re-run
    7  refused by the router (400, 409, 422): nothing was changed
    8  this router does not support the command (upgrade it)
    9  any other failure (5xx, an answer that is not the admin API)
   10  forbidden (403): the token lacks the scope the command needs
   11  diff: the two environments' rollouts differ
  130  interrupted (Ctrl-C) before it finished; watch and tail end with 0`;

function optionLines(names: OptionName[]): string {
  const rows = names.map((n) => [`--${n}${OPTIONS[n].value ? ` ${OPTIONS[n].value}` : ""}`, OPTIONS[n].help] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`).join("\n");
}

export function toolHelp(): string {
  const usage = COMMANDS.map((c) => [`${c.name} ${c.args}`.trimEnd(), c.summary] as const);
  const width = Math.max(...usage.map(([left]) => left.length));
  return `edge-router: operate rollouts from a terminal or a CI pipeline, on the router's admin API

Usage: edge-router <command> [arguments] [options]

Commands
${usage.map(([left, summary]) => `  ${left.padEnd(width)}  ${summary}`).join("\n")}

Options
${optionLines(["env", "url", "token", "actor", "json", "no-color", "help"])}

Environment
  EDGE_ROUTER_URL     the router, e.g. http://127.0.0.1:8787 (the admin API is under /__admin/api)
  EDGE_ROUTER_TOKEN   its ADMIN_TOKEN, or a named token (edge-router token create)
  EDGE_ROUTER_ACTOR   default --actor
  EDGE_ROUTER_CONFIG  the environments file of --env (default: ./.edge-router.json), e.g.
                      { "environments": { "staging": { "url": "https://...", "tokenEnv": "EDGE_ROUTER_TOKEN_STAGING" } } }

\`edge-router <command> --help\` explains one command. Times are UTC.

${EXIT_CODES}
`;
}

export function commandHelp(command: CommandSpec): string {
  return `edge-router ${command.name}: ${command.summary}

Usage: edge-router ${command.name} ${command.args}${command.options.length ? " [options]" : ""}

${command.details}

Options
${optionLines([...new Set<OptionName>([...command.options, "no-color", "help"])])}

Examples
${command.examples.map((e) => `  ${e}`).join("\n")}

Exit codes: 0 ok, 1 usage, 2 invalid input, 3 unreachable, 4 unauthorized, 5 not found, 6 changed by
someone else (412), 7 refused by the router, 8 unsupported by this router, 9 other, 10 forbidden (403),
11 the environments differ (diff) (see edge-router --help).
`;
}
