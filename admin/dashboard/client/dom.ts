/**
 * The only way the dashboard makes DOM: elements built node by node, text always as text nodes.
 * Nothing here parses a string as HTML, so a rollout id, a reason or an actor can never become
 * markup (the page's CSP also requires Trusted Types, so an `innerHTML` slipped in elsewhere throws).
 */

/** A child: a node, text (inserted as a text node), or nothing (skipped, for conditional parts). */
export type Child = Node | string | null | undefined | false;

/** Attributes; `false`, `null` and `undefined` leave the attribute out, `true` sets it empty. */
export type Attrs = Record<string, string | number | boolean | null | undefined>;

const SVG_NS = "http://www.w3.org/2000/svg";

function fill<E extends Element>(el: E, attrs: Attrs, children: Child[]): E {
  for (const [name, value] of Object.entries(attrs)) {
    // A style attribute would need 'unsafe-inline' under the CSP; set `el.style.*` instead.
    if (name === "style") throw new Error("set styles through el.style, not a style attribute");
    if (value === false || value === null || value === undefined) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

/**
 * An HTML element.
 * @example h("td", { class: "num" }, String(v.requests))
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/**
 * The page's element with this id, checked to be of the expected kind (the shell in page.ts
 * defines them; a mismatch is a bug worth a loud error, not a silent `null`).
 * @example byId("token", HTMLInputElement).value
 */
export function byId<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof kind)) throw new Error(`#${id} is missing or not a ${kind.name}`);
  return el;
}
