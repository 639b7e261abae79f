// The report's stylesheet: light and dark follow prefers-color-scheme; --c0..--c7 are the chart
// palette slots of chartSpec.ts COLOR (measured, limit, band, fit, plan, noise, gray, extra), shared
// by the canvas (read by the chart script) and the legend swatches. No inline style attributes: the
// page's CSP allows only this stylesheet and uPlot's, by hash.
export const REPORT_CSS = `
:root { color-scheme: light dark; --fg:#1f2328; --bg:#ffffff; --muted:#59636e; --line:#d1d9e0; --card:#f6f8fa; --pick:#1a7f37; --warn:#9a6700; --bad:#cf222e;
  --c0:#0969da; --c1:#cf222e; --c2:#1a7f37; --c3:#8250df; --c4:#bf8700; --c5:#1b7c83; --c6:#6e7781; --c7:#e16f24; }
@media (prefers-color-scheme: dark) { :root { --fg:#e6edf3; --bg:#0d1117; --muted:#9198a1; --line:#3d444d; --card:#151b23; --pick:#3fb950; --warn:#d29922; --bad:#f85149;
  --c0:#4493f8; --c1:#f85149; --c2:#3fb950; --c3:#ab7df8; --c4:#d29922; --c5:#39c5cf; --c6:#9198a1; --c7:#f0883e; } }
body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1140px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 14px 0 4px; }
.muted { color: var(--muted); } .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; }
.headline { font-size: 24px; font-weight: 600; color: var(--pick); margin-bottom: 6px; }
.headline .assumption { color: var(--warn); } .headline .sep { color: var(--muted); font-weight: 400; }
.status-completed { color: var(--pick); } .status-failed, .status-interrupted { color: var(--bad); } .status-stopped, .status-running { color: var(--warn); }
.banner { border: 1px solid var(--warn); border-left-width: 4px; border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
.banner.bad { border-color: var(--bad); }
.basis { display: inline-block; font-size: 11px; font-weight: 600; padding: 0 6px; border-radius: 9px; border: 1px solid currentColor; vertical-align: 1px; }
.basis-measured { color: var(--c0); } .basis-fitted { color: var(--c3); } .basis-assumed { color: var(--warn); }
table { border-collapse: collapse; width: 100%; margin: 6px 0; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; } th:first-child, td:first-child { text-align: left; }
th { font-weight: 600; } th .sub { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
td { white-space: nowrap; } table.narrow { width: auto; min-width: 320px; } td.text, th.text { text-align: left; white-space: normal; } .scroll { overflow-x: auto; } td.extrapolated { font-style: italic; color: var(--muted); }
tr.pick td { color: var(--pick); font-weight: 600; } tr.in-band td:first-child { box-shadow: inset 3px 0 var(--c2); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 16px; }
.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; min-width: 0; }
.chart h3 { font-size: 13px; margin: 0 0 6px; font-weight: 600; }
.chart .caption { font-size: 12px; color: var(--muted); margin: 4px 0 0; }
.legend { list-style: none; margin: 4px 0 0; padding: 0; font-size: 12px; display: flex; flex-wrap: wrap; gap: 2px 14px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.sw { display: inline-block; width: 18px; height: 0; border-top: 2px solid var(--sw); }
.sw.points { width: 8px; height: 8px; border: 0; border-radius: 50%; background: var(--sw); }
.sw.dashed { border-top-style: dashed; } .sw.area { height: 10px; border: 0; background: var(--sw); opacity: 0.3; }
.sw.whisker { width: 2px; height: 12px; border: 0; background: var(--sw); } .sw.shade { width: 14px; height: 12px; border: 0; background: var(--c2); opacity: 0.25; }
.sw-0 { --sw: var(--c0); } .sw-1 { --sw: var(--c1); } .sw-2 { --sw: var(--c2); } .sw-3 { --sw: var(--c3); }
.sw-4 { --sw: var(--c4); } .sw-5 { --sw: var(--c5); } .sw-6 { --sw: var(--c6); } .sw-7 { --sw: var(--c7); }
.uplot { color: var(--fg); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
ul { margin: 4px 0; padding-left: 20px; } dl { margin: 4px 0; } dt { font-weight: 600; margin-top: 6px; } dd { margin: 0 0 0 16px; }
pre { white-space: pre-wrap; word-break: break-word; font-size: 12px; margin: 2px 0; color: var(--muted); }
`;
