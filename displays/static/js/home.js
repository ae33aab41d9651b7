// The start page's centre state, kept live: each site's section follows its /display events
// and refreshes its counters, tickets and waiting counts from /api/v1/queue (public data
// only: printed numbers, never ticket ids or names).
import { LiveQueue } from "./live.js";


// "09:05:12 26/11/2026" from the snapshot's ISO time, in the site's own offset.
function stamp(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(iso || "");
  return m ? `${m[4]}:${m[5]}:${m[6]} ${m[3]}/${m[2]}/${m[1]}` : "";
}

function apply(section, snap) {
  const counts = { open: 0, paused: 0, closed: 0 };
  for (const c of snap.counters) {
    counts[c.state] = (counts[c.state] || 0) + 1;
    const row = section.querySelector(`tr[data-counter="${Number(c.number)}"]`);
    if (!row) continue;
    const pill = row.querySelector('[data-cell="state"]');
    pill.textContent = c.state_text;
    pill.className = `pill ${c.state}`;
    row.querySelector('[data-cell="ticket"]').textContent = c.ticket ? c.ticket.number : "—";
  }
  let waiting = 0;
  for (const row of section.querySelectorAll("tr[data-service]")) {
    const n = snap.waiting[row.dataset.service] || 0;
    waiting += n;
    row.querySelector('[data-cell="waiting"]').textContent = String(n);
  }
  counts.waiting = waiting;
  for (const node of section.querySelectorAll("[data-count]")) {
    node.textContent = String(counts[node.dataset.count] || 0);
  }
  const at = section.querySelector(".state-at");
  const when = stamp(snap.time);
  if (at && when) at.textContent = at.dataset.template.replace("{time}", when);
}

for (const section of document.querySelectorAll("section.site[data-site]")) {
  const site = section.dataset.site;
  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const res = await fetch(`/api/v1/queue?site=${encodeURIComponent(site)}`, { cache: "no-store" });
        if (res.ok) apply(section, await res.json());
      } catch (_) { /* offline: the next event or snapshot tries again */ }
    }, 150);
  };
  new LiveQueue({ site, onSnapshot: (snap) => apply(section, snap), onEvent: refresh }).start();
}
