/**
 * The dashboard's styles, served inline under the page's nonce. No style attributes anywhere: the
 * client sets the one dynamic style (the percentage bar's width) through the CSSOM.
 */
export const DASHBOARD_CSS = `
  :root { --bg: #f6f7f9; --card: #fff; --ink: #1d2430; --muted: #667085; --line: #e3e6eb; --legacy: #b26b00; --new: #0a7d3b; --bad: #c4281c; --warn: #a15c00; --ok: #0a7d3b; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--ink); }
  header { display: flex; align-items: center; gap: 1rem; padding: .75rem 1.25rem; background: #111827; color: #fff; }
  header h1 { font-size: 1.05rem; margin: 0; letter-spacing: .02em; }
  header .spacer { flex: 1; }
  header .meta { color: #cbd5e1; font-size: .85rem; }
  #global-actions { display: contents; }
  main { max-width: 1180px; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
  .banner { padding: .75rem 1rem; border-radius: 8px; margin-bottom: 1rem; font-weight: 600; }
  .banner.killed { background: #fde8e6; color: var(--bad); border: 1px solid #f5b5ae; }
  .banner.info { background: #e8f1fd; color: #1d4f91; border: 1px solid #b9d3f5; }
  .banner.error { background: #fff4e5; color: var(--warn); border: 1px solid #f3cf99; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.1rem; margin-bottom: 1rem; }
  #audit-card h2 { margin-top: 0; }
  .row { display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; }
  .rollout-head h2 { margin: 0; font-size: 1.1rem; }
  .description { margin: .25rem 0 0; }
  .kill-reason { color: var(--bad); margin: .4rem 0 0; }
  .percent-row { margin-top: .6rem; }
  .match { margin-top: .3rem; }
  .rules { margin-top: .4rem; font-size: .9rem; }
  .rules ol { margin: .2rem 0 0; padding-left: 1.4rem; }
  .window { margin: .35rem 0 0; }
  .set-percent { gap: .4rem; }
  .badge { display: inline-block; padding: .1rem .55rem; border-radius: 999px; font-size: .78rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; }
  .badge.live { background: #e3f5ea; color: var(--ok); }
  .badge.paused { background: #fff4e5; color: var(--warn); }
  .badge.killed { background: #fde8e6; color: var(--bad); }
  .badge.complete { background: #e8f1fd; color: #1d4f91; }
  .badge.awaiting { background: #fff4e5; color: var(--warn); }
  .muted { color: var(--muted); }
  .bar { position: relative; height: 10px; background: #f1dfc4; border-radius: 6px; overflow: hidden; min-width: 220px; flex: 1; }
  .bar > span { position: absolute; inset: 0 auto 0 0; background: var(--new); }
  .pct { font-size: 1.6rem; font-weight: 700; min-width: 5.5rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .variant-legacy { color: var(--legacy); font-weight: 700; }
  .variant-new { color: var(--new); font-weight: 700; }
  .grid { display: grid; grid-template-columns: minmax(0, 1.2fr) minmax(0, 1fr); gap: 1rem; margin-top: .75rem; }
  @media (max-width: 860px) { .grid { grid-template-columns: 1fr; } }
  .verdict { padding: .5rem .7rem; border-radius: 6px; margin-top: .5rem; }
  .verdict.healthy { background: #e3f5ea; color: var(--ok); }
  .verdict.breach { background: #fde8e6; color: var(--bad); }
  .verdict.inconclusive, .verdict.no-guard { background: #f1f3f6; color: var(--muted); }
  .shadow { margin-top: .75rem; padding-top: .6rem; border-top: 1px dashed var(--line); }
  .shadow-prefixes { margin-top: .4rem; }
  .shadow-examples { margin: .4rem 0 0; padding-left: 1.2rem; font-size: .85rem; }
  .shadow-examples code { word-break: break-all; }
  .external { margin-top: .75rem; }
  .external table + table { margin-top: .5rem; }
  .verdict-chip { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; font-weight: 700; }
  .verdict-chip.healthy { background: #e3f5ea; color: var(--ok); }
  .verdict-chip.breach { background: #fde8e6; color: var(--bad); }
  .verdict-chip.inconclusive { background: #f1f3f6; color: var(--muted); }
  .warnings { margin: .4rem 0 0; padding: .4rem .7rem .4rem 1.6rem; border-radius: 6px; background: #fff4e5; color: var(--warn); }
  button { font: inherit; padding: .4rem .8rem; border-radius: 6px; border: 1px solid #c9ced6; background: #fff; cursor: pointer; font-weight: 600; }
  button:hover { background: #f3f4f6; }
  button.danger { background: var(--bad); color: #fff; border-color: var(--bad); }
  button.danger:hover { background: #a82016; }
  button.primary { background: #1d4f91; color: #fff; border-color: #1d4f91; }
  input[type=number], input[type=password], input[type=text] { font: inherit; padding: .35rem .5rem; border: 1px solid #c9ced6; border-radius: 6px; }
  input[type=number] { width: 6.5rem; }
  .actions { display: flex; gap: .5rem; flex-wrap: wrap; margin-top: .75rem; }
  dialog { border: 1px solid var(--line); border-radius: 10px; padding: 1.1rem 1.2rem; max-width: 460px; width: 92vw; }
  dialog::backdrop { background: rgba(17, 24, 39, .45); }
  dialog h3 { margin: 0 0 .5rem; }
  dialog .dialog-actions { display: flex; justify-content: flex-end; gap: .5rem; margin-top: 1rem; }
  dialog input[type=text] { width: 100%; margin-top: .5rem; }
  #login { max-width: 420px; margin: 4rem auto; }
  #login input { width: 100%; margin: .5rem 0 .75rem; }
  .chart { width: 100%; height: 90px; display: block; }
  .legend { font-size: .8rem; }
  .legend span { margin-right: .9rem; }
  .audit td { font-size: .85rem; }
  code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; }
  [hidden] { display: none !important; }
`;
