// The dashboard's one HTML page: styles inline, the app from /app.js (bundled at build time by
// scripts/bundle-dashboard.mjs from src/dashboard/web), nothing from another origin.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hotpod dashboard</title>
<style>
  :root { --bg: #0f1419; --panel: #182029; --line: #2a3441; --text: #e6edf3; --dim: #8b98a5; --accent: #58a6ff;
          --ready: #2ea043; --notready: #d29922; --updating: #1f6feb; --bad: #da3633; --held: #a371f7; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--text); }
  header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
  a { color: var(--accent); }
  header h1 { font-size: 16px; margin: 0; }
  header a { color: var(--accent); text-decoration: none; }
  .live { margin-left: auto; color: var(--dim); font-size: 12px; }
  .live.on::before { content: "●"; color: var(--ready); margin-right: 6px; }
  main { padding: 16px 20px; }
  h2 { font-size: 15px; margin: 18px 0 8px; }
  table { border-collapse: collapse; width: 100%; background: var(--panel); border: 1px solid var(--line); }
  th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--dim); font-weight: 600; font-size: 12px; text-transform: uppercase; }
  td a { color: var(--accent); text-decoration: none; }
  .bar { width: 140px; height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; display: inline-block; vertical-align: middle; margin-right: 8px; }
  .bar > span { display: block; height: 100%; background: var(--ready); }
  .chip { display: inline-block; padding: 0 6px; margin: 0 4px 2px 0; border-radius: 8px; background: var(--line); font-size: 12px; }
  .chip.warn { background: #5a3d0a; } .chip.bad { background: #5c1a1a; } .chip.held { background: #3b2463; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(74px, 1fr)); gap: 4px; }
  .tile { height: 46px; border-radius: 4px; padding: 3px 5px; font-size: 11px; cursor: pointer; border: 2px solid transparent; overflow: hidden; color: #fff; text-decoration: none; display: block; }
  .tile .n { font-weight: 600; white-space: nowrap; }
  .tile.s-Ready { background: var(--ready); } .tile.s-NotReady, .tile.s-Creating { background: var(--notready); }
  .tile.s-Updating { background: var(--updating); } .tile.s-Crash, .tile.s-Unknown, .tile.s-Failed { background: var(--bad); }
  .tile.s-Deleting { background: #444c56; } .tile.s-PreDelete, .tile.s-PreUpdate { background: var(--held); }
  .tile.r-old { border-color: #6e7681; border-style: dashed; } .tile.r-updating { border-color: #fff; } .tile.r-new { border-color: transparent; }
  .tile.o-Allocated { box-shadow: inset 0 -6px 0 #f778ba; } .tile.o-WaitToBeDeleted { box-shadow: inset 0 -6px 0 #ff7b72; }
  .tile.o-Maintaining { box-shadow: inset 0 -6px 0 #ffa657; } .tile.o-Kill { box-shadow: inset 0 -6px 0 #000; }
  .legend { color: var(--dim); font-size: 12px; margin: 6px 0 10px; }
  .controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
  button, input, select { font: inherit; background: var(--panel); color: var(--text); border: 1px solid var(--line); border-radius: 4px; padding: 4px 10px; }
  button { cursor: pointer; } button:hover { border-color: var(--accent); }
  button.on { background: var(--accent); color: #000; }
  input { width: 80px; }
  .notice { padding: 8px 12px; border-radius: 4px; margin: 8px 0; }
  .notice.error { background: #5c1a1a; border: 1px solid var(--bad); } .notice.ok { background: #12361f; border: 1px solid var(--ready); }
  .events td { font-size: 12px; } .events .Warning { color: #ffa198; }
  .kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: var(--panel); border: 1px solid var(--line); padding: 10px; }
  .kv dt { color: var(--dim); } .kv dd { margin: 0; }
  .dim { color: var(--dim); }
</style>
</head>
<body>
<div id="app"></div>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
