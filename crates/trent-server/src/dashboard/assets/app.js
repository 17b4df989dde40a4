// The Trent dashboard: renders /_trent/ui/snapshot, then follows the
// server-sent events at /_trent/ui/events (one snapshot a second).
"use strict";
const $ = (id) => document.getElementById(id);
const fmt = (n) => Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 });
// arn:aws:iam::111122223333:role/orders-service → role/orders-service (the full ARN is the title).
const short = (arn) => String(arn ?? "").replace(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/, "");
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function color(u) {
  if (u >= 0.9) return "var(--bad)";
  if (u >= 0.7) return "var(--warn)";
  return "var(--ok)";
}

function spark(history, limit) {
  const w = 300, h = 56, n = Math.max(history.length, 2);
  const top = Math.max(limit, ...history, 1) * 1.1;
  const x = (i) => (i / (n - 1)) * w;
  const y = (v) => h - (v / top) * h;
  const pts = history.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  const area = history.length ? `M0,${h} L${pts.replace(/ /g, " L")} L${x(history.length - 1).toFixed(1)},${h} Z` : "";
  const ly = y(limit).toFixed(1);
  return `<svg class="spark" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none">
    <path d="${area}" fill="#58a6ff22"/>
    <polyline points="${pts}" fill="none" stroke="#58a6ff" stroke-width="1.5"/>
    <line x1="0" x2="${w}" y1="${ly}" y2="${ly}" stroke="#f85149" stroke-dasharray="4 3" stroke-width="1"/>
  </svg>`;
}

function card(b) {
  const u = b.limit > 0 ? b.lastSecond / b.limit : 0;
  const callers = b.callers.map((c) => `<tr><td class="caller" title="${esc(c.caller)}">${esc(short(c.caller))}</td>
      <td data-caller-admitted>${fmt(c.admitted)}</td><td class="bad">${c.throttled ? fmt(c.throttled) : ""}</td></tr>`).join("");
  return `<div class="card${b.throttled > 0 && u >= 0.9 ? " hot" : ""}" data-bucket="${esc(b.id)}" data-code="${esc(b.code)}"
      data-admitted="${b.admitted}" data-throttled="${b.throttled}" data-limit="${b.limit}" data-last-second="${b.lastSecond}">
    <div class="top">
      <div><div class="name">${esc(b.name)}</div>
        <div class="meta">${esc(b.code)} · ${esc(b.resource)} · ${esc(b.account)} · ${esc(b.region)} (${esc(b.tier)} tier)</div></div>
      <div class="rate"><span class="used">${fmt(b.lastSecond)}</span><small> / <span class="limit">${fmt(b.limit)}</span> per s</small></div>
    </div>
    <div class="bar"><div style="width:${Math.min(100, u * 100).toFixed(1)}%;background:${color(u)}"></div></div>
    ${spark(b.history, b.limit)}
    <div class="counts"><span>admitted <b class="admitted">${fmt(b.admitted)}</b></span>
      <span class="thr">throttled <b class="throttled">${fmt(b.throttled)}</b></span>
      <span>utilization <b>${(u * 100).toFixed(0)}%</b></span><span>callers <b>${b.callerCount}</b></span></div>
    <table><thead><tr><th>top callers</th><th>admitted</th><th>throttled</th></tr></thead><tbody>${callers}</tbody></table>
  </div>`;
}

function render(s) {
  $("profile").textContent = s.profile;
  $("algorithm").textContent = s.algorithm;
  $("enforcing").textContent = s.enforcing ? "enforced" : "off";
  $("uptime").textContent = `${Math.floor(s.uptimeSeconds / 60)}m ${s.uptimeSeconds % 60}s`;
  const buckets = s.buckets.slice().sort((a, b) => (b.lastSecond / (b.limit || 1)) - (a.lastSecond / (a.limit || 1)) || b.admitted - a.admitted);
  $("total-admitted").textContent = fmt(buckets.reduce((n, b) => n + b.admitted, 0));
  $("total-throttled").textContent = fmt(buckets.reduce((n, b) => n + b.throttled, 0));
  $("bucket-count").textContent = buckets.length;
  $("busiest").textContent = buckets.length ? `${buckets[0].name} (${((buckets[0].lastSecond / (buckets[0].limit || 1)) * 100).toFixed(0)}%)` : "–";
  if (buckets.length) $("buckets").innerHTML = buckets.map(card).join("");
  const feed = s.throttles.map((t) => `<li><span class="t">${new Date(t.time).toLocaleTimeString()}</span>
      <span class="n">${fmt(t.count)} throttled</span> on ${esc(t.name)} <span class="meta">(${esc(t.account)} · ${esc(t.region)})</span>
      ${t.caller ? `· most by <code title="${esc(t.caller)}">${esc(short(t.caller))}</code>` : ""}</li>`).join("");
  $("throttles").innerHTML = feed || `<li class="empty">None so far.</li>`;
  const inc = (s.increases || []).map((r) => `<tr data-request="${esc(r.Id)}"><td>${esc(r.QuotaName)} <span class="meta">${esc(r.QuotaCode)}</span></td>
      <td>${esc(r.AccountId)} · ${esc(r.Region)}</td><td>${fmt(r.DesiredValue)}</td><td><span class="status ${esc(r.Status)}">${esc(r.Status)}</span></td></tr>`).join("");
  $("increases").querySelector("tbody").innerHTML = inc || `<tr><td colspan="4" class="empty">No increase requested.</td></tr>`;
  document.body.dataset.snapshotTime = s.time;
}

// `?events=N` follows N snapshots and stops (headless browsers wait for the
// network to go idle); without it the page follows the stream for ever.
const max = new URLSearchParams(location.search).get("events");
let received = 0;
fetch("/_trent/ui/snapshot").then((r) => r.json()).then((s) => { if (!received) render(s); }).catch(() => {});
const events = new EventSource("/_trent/ui/events" + (max ? `?max=${encodeURIComponent(max)}` : ""));
events.addEventListener("snapshot", (e) => {
  received += 1;
  render(JSON.parse(e.data));
  document.body.dataset.events = received;
  $("live").textContent = "live";
  $("live").className = "fact live on";
  if (max && received >= Number(max)) events.close();
});
events.onerror = () => { $("live").textContent = "reconnecting…"; $("live").className = "fact live off"; };
