/**
 * The dashboard's entry point (bundled by scripts/build-dashboard.mjs into client.generated.ts):
 * sign-in, who the token is, polling, rendering the state, and running the actions the operator
 * confirms.
 */
import { GLOBAL_ACTIONS, outcomeMessage, type Action } from "./actions";
import { adminApi, forgetToken, loadToken, saveToken, type WriteRequest } from "./api";
import { confirmAction } from "./confirm";
import { byId, h } from "./dom";
import { poller } from "./poll";
import { rolloutCard } from "./rollout";
import { message, mountGlobalActions, renderAudit, renderGlobalKill, renderSignedOut, renderWhoami } from "./view";
import type { GlobalKill, HealthReport, RolloutList, ShadowReport } from "./wire";

let token = loadToken();
const api = adminApi(document.body.dataset.apiPrefix ?? "", () => token);
const polling = poller(() => void refresh());
/** A write is under way: polling waits, so the page never shows the state from before it. */
let busy = false;
/** Rollouts whose "set %" field has the focus: their cards are kept, not redrawn. */
const editing = new Set<string>();
/** The global kill switch as last read; null while signed out. */
let globalKill: GlobalKill | null = null;
const showGlobalActions = mountGlobalActions(GLOBAL_ACTIONS, (action) => {
  if (globalKill) void run(action, globalKill);
});

function showLogin(error = ""): void {
  polling.stop();
  globalKill = null;
  showGlobalActions(null);
  renderSignedOut(error);
}

function start(): void {
  byId("login", HTMLElement).hidden = true;
  byId("logout", HTMLButtonElement).hidden = false;
  void showWhoami();
  void refresh();
  polling.start();
}

/** The token's name and scopes in the header (read once per sign-in: a token's scopes never change). */
async function showWhoami(): Promise<void> {
  const reply = await api.whoami().catch(() => null);
  renderWhoami(reply?.ok ? reply.data : null);
}

/** Asks, then writes; the page then shows the state the router holds (whatever the outcome). */
async function run<Ctx>(action: Action<Ctx>, ctx: Ctx): Promise<void> {
  const answer = await confirmAction(action.confirm(ctx));
  if (answer.ok) await write(action.name(ctx), action.request(ctx, answer.reason));
}

async function write(name: string, request: WriteRequest): Promise<void> {
  busy = true;
  try {
    const reply = await api.write(request);
    const { kind, text } = outcomeMessage(name, reply);
    message(kind, text);
  } catch {
    message("error", `${name} failed: the router is not answering.`);
  } finally {
    busy = false;
    await refresh();
  }
}

function renderRollouts(list: RolloutList, healths: Array<HealthReport | null>, shadows: Array<ShadowReport | null>, now: number): void {
  const container = byId("rollouts", HTMLElement);
  if (!list.rollouts.length) {
    container.replaceChildren(h("div", { class: "card muted" }, `No rollouts yet. Create one with PUT ${api.prefix}/rollouts/<id>.`));
    return;
  }
  const cards = list.rollouts.map((r, i) => {
    const kept = editing.has(r.id) ? container.querySelector(`[data-rollout="${CSS.escape(r.id)}"]`) : null;
    return (
      kept ??
      rolloutCard(r, healths[i] ?? null, shadows[i] ?? null, now, {
        onAction: (action, ctx) => {
          editing.delete(r.id);
          void run(action, ctx);
        },
        onEditing: (on) => (on ? editing.add(r.id) : editing.delete(r.id)),
      })
    );
  });
  container.replaceChildren(...cards);
}

/** Reads the rollouts, their health and the audit log, and redraws (skipped while a write runs). */
async function refresh(): Promise<void> {
  if (!token || busy) return;
  const list = await api.listRollouts().catch(() => null);
  if (!list) return message("error", "The router is not answering; retrying…");
  if (list.status === 401) return showLogin("Your token was refused (401): it may have expired or been revoked; sign in again.");
  if (!list.ok) return message("error", `Could not load rollouts (${list.status})${list.problem.detail ? `: ${list.problem.detail}` : "."}`);
  const settled = <T>(call: Promise<{ ok: true; data: T } | { ok: false }>) =>
    call.then(
      (reply) => (reply.ok ? reply.data : null),
      () => null,
    );
  const [healths, shadows, audit] = await Promise.all([
    Promise.all(list.data.rollouts.map((r) => settled(api.health(r.id)))),
    // Only rollouts that mirror traffic have shadow results to show.
    Promise.all(list.data.rollouts.map((r) => (r.config.shadow?.percent ? settled(api.shadow(r.id)) : Promise.resolve(null)))),
    api.audit().catch(() => null),
  ]);
  const now = Date.now();
  byId("config-version", HTMLElement).textContent = `config v${list.data.version}`;
  byId("updated", HTMLElement).textContent = `updated ${new Date(now).toLocaleTimeString()}`;
  globalKill = list.data.globalKill;
  showGlobalActions(globalKill);
  renderGlobalKill(globalKill, now);
  renderRollouts(list.data, healths, shadows, now);
  if (audit?.ok) renderAudit(audit.data.entries);
}

byId("login-form", HTMLFormElement).addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = byId("token", HTMLInputElement);
  token = input.value.trim();
  const probe = await api.whoami().catch(() => null);
  if (!probe) return showLogin("The router is not answering; try again.");
  if (probe.status === 401) return showLogin("That token was refused (401).");
  saveToken(token);
  input.value = "";
  start();
});

byId("logout", HTMLButtonElement).addEventListener("click", () => {
  forgetToken();
  token = null;
  showLogin();
});

if (token) start();
else showLogin();
