/** The operator dashboard page (served by the worker itself; no external assets). */
export function renderDashboard(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edge-router</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>edge-router</h1><p>The admin API is at <code>/__admin/api</code>.</p></body></html>`;
}
