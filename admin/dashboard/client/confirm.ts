/** The confirmation dialog (`#confirm` in the page shell): every write asks first. */
import type { Confirmation } from "./actions";
import { byId } from "./dom";

export interface Answer {
  ok: boolean;
  /** The reason typed, trimmed; "" when none was asked or given. */
  reason: string;
}

/** Shows the dialog; resolves when the operator confirms or cancels (Escape counts as cancel). */
export function confirmAction(c: Confirmation): Promise<Answer> {
  const dialog = byId("confirm", HTMLDialogElement);
  const reason = byId("confirm-reason", HTMLInputElement);
  byId("confirm-title", HTMLElement).textContent = c.title;
  byId("confirm-text", HTMLElement).textContent = c.text;
  byId("confirm-ok", HTMLButtonElement).className = c.danger ? "danger" : "primary";
  reason.hidden = !c.askReason;
  reason.value = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve({ ok: dialog.returnValue === "ok", reason: reason.value.trim() }), { once: true });
    // Older browsers keep the previous returnValue ("ok") when the dialog is cancelled with Escape.
    dialog.returnValue = "";
    dialog.showModal();
    if (c.askReason) reason.focus();
  });
}
