/** The sweep chart: share of requests that waited, and kill propagation, against round-trip time. */
import type { ScenarioResult } from "./scenario";

type Point = { rtt: number; today: ScenarioResult; tiered: ScenarioResult };

const W = 760;
const H = 300;
const PAD = { left: 60, right: 20, top: 36, bottom: 44 };
const COLORS = { today: "#c0392b", tiered: "#1e6fd9" };

function panel(points: Point[], x0: number, title: string, value: (r: ScenarioResult) => number, maxY: number, unit: string): string {
  const w = W / 2 - 10;
  const plotW = w - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const maxX = Math.max(...points.map((p) => p.rtt));
  const sx = (x: number) => x0 + PAD.left + (x / maxX) * plotW;
  const sy = (y: number) => PAD.top + plotH - (Math.min(y, maxY) / maxY) * plotH;
  const line = (pick: "today" | "tiered") =>
    `<polyline fill="none" stroke="${COLORS[pick]}" stroke-width="2" points="${points.map((p) => `${sx(p.rtt).toFixed(1)},${sy(value(p[pick])).toFixed(1)}`).join(" ")}"/>` +
    points.map((p) => `<circle cx="${sx(p.rtt).toFixed(1)}" cy="${sy(value(p[pick])).toFixed(1)}" r="3" fill="${COLORS[pick]}"/>`).join("");
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = sy(f * maxY);
    return `<line x1="${x0 + PAD.left}" x2="${x0 + PAD.left + plotW}" y1="${y}" y2="${y}" stroke="#e3e6ea"/><text x="${x0 + PAD.left - 6}" y="${y + 4}" text-anchor="end">${Math.round(f * maxY)}${unit}</text>`;
  });
  const xTicks = points.map((p) => `<text x="${sx(p.rtt)}" y="${PAD.top + plotH + 16}" text-anchor="middle">${p.rtt}</text>`);
  return `<g font-family="system-ui, sans-serif" font-size="11" fill="#333">
<text x="${x0 + PAD.left}" y="18" font-size="13" font-weight="600">${title}</text>
${yTicks.join("\n")}
${xTicks.join("")}
<text x="${x0 + PAD.left + plotW / 2}" y="${H - 8}" text-anchor="middle">round trip isolate → control plane (ms)</text>
${line("today")}
${line("tiered")}
</g>`;
}

export function sweepChart(points: Point[]): string {
  const kill = (r: ScenarioResult) => r.killMaxMs;
  const maxKill = Math.max(1000, ...points.flatMap((p) => [kill(p.today), kill(p.tiered)]));
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H + 24}" width="${W}" height="${H + 24}" role="img">
<title>edge-router control plane: requests that waited, and kill propagation, against round-trip time; today's design beside the tiered one (npm run simulate)</title>
<rect width="100%" height="100%" fill="#fff"/>
${panel(points, 0, "Requests that waited on the control plane", (r) => r.waitShare * 100, 100, "%")}
${panel(points, W / 2, "Kill propagation, worst isolate", kill, Math.ceil(maxKill / 250) * 250, " ms")}
<g font-family="system-ui, sans-serif" font-size="12">
<rect x="${PAD.left}" y="${H + 6}" width="12" height="3" fill="${COLORS.today}"/><text x="${PAD.left + 18}" y="${H + 12}">today's design (blocking refresh from the primary)</text>
<rect x="${W / 2 + PAD.left}" y="${H + 6}" width="12" height="3" fill="${COLORS.tiered}"/><text x="${W / 2 + PAD.left + 18}" y="${H + 12}">tiered (stale-while-revalidate, replicas)</text>
</g>
</svg>
`;
}
