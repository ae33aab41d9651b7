// LiveQueue: the one realtime client every screen uses.
//
// Socket.IO delivers at most once, so: a snapshot on every connect, epoch + seq on
// every event, a `sync` on a gap or a new epoch, a manual reconnect after an
// `io server disconnect`, and polling of /api/v1/queue only while disconnected.
// Handlers are registered once per socket, so a screen left running for days
// does not pile up listeners. Event names and shared labels come from /contract.js,
// generated from the server's declarations.
import { EVENTS, LABELS, NAMESPACE, NUMBERED } from "/contract.js";

export class LiveQueue {
  constructor({ site = null, onSnapshot, onEvent, onStatus, pollMs = 5000 }) {
    this.site = site;
    this.onSnapshot = onSnapshot || (() => {});
    this.onEvent = onEvent || (() => {});
    this.onStatus = onStatus || (() => {});
    this.pollMs = pollMs;
    this.epoch = null;
    this.seq = 0;
    this.pollTimer = null;
    this.syncing = false;
    this.pending = []; // events received while a sync is in flight
    this.stats = { events: 0, gaps: 0, resyncs: 0, snapshots: 0, reconnects: 0 };
    this.offset = 0; // server clock minus this browser's clock, in ms
  }

  // The server's clock now: announcement slots are on it, and a TV box's clock may be off.
  serverNow() {
    return Date.now() + this.offset;
  }

  // A snapshot or heartbeat says what time it is on the server (sent a few ms ago).
  setClock(serverTime) {
    const at = Date.parse(serverTime || "");
    if (!Number.isNaN(at)) this.offset = at - Date.now();
  }

  start() {
    const io = window.io;
    this.socket = io(NAMESPACE, {
      transports: ["websocket", "polling"],
      auth: this.site ? { site: this.site } : {},
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      timeout: 5000,
    });
    this.socket.on("connect", () => {
      this.stopPolling();
      this.onStatus("online");
    });
    this.socket.on("disconnect", (reason) => {
      this.onStatus("offline");
      this.startPolling();
      // After a server-side disconnect the client does not reconnect by itself.
      if (reason === "io server disconnect") {
        this.stats.reconnects += 1;
        setTimeout(() => this.socket.connect(), 500);
      }
    });
    this.socket.io.on("reconnect", () => { this.stats.reconnects += 1; });
    this.socket.on(EVENTS.SNAPSHOT, (snap) => this.applySnapshot(snap));
    // The server says where the sequence stands every half minute, so a display that
    // missed the last event of a quiet spell notices without waiting for the next one.
    this.socket.on(EVENTS.HEARTBEAT, (hb) => {
      this.setClock(hb.server_time);
      if (!this.syncing && (hb.epoch !== this.epoch || hb.seq > this.seq)) {
        this.stats.gaps += 1;
        this.resync();
      }
    });
    for (const name of NUMBERED) {
      this.socket.on(name, (payload) => this.handle(name, payload));
    }
  }

  applySnapshot(snap) {
    if (!snap || snap.error || typeof snap.seq !== "number") return;
    // A snapshot older than the state already shown (a slow sync or poll answer) is ignored.
    if (snap.epoch === this.epoch && snap.seq < this.seq) return;
    this.epoch = snap.epoch;
    this.seq = snap.seq;
    this.setClock(snap.server_time);
    this.stats.snapshots += 1;
    this.onSnapshot(snap);
  }

  handle(name, payload) {
    if (this.syncing) {
      // The sync answer may predate this event: keep it and replay it after the snapshot.
      this.pending.push([name, payload]);
      return;
    }
    if (payload.epoch === this.epoch && payload.seq <= this.seq) return; // already in state
    if (payload.epoch !== this.epoch || payload.seq !== this.seq + 1) {
      this.stats.gaps += 1;
      if (this.resync()) this.pending.push([name, payload]);
      return;
    }
    this.seq = payload.seq;
    this.stats.events += 1;
    this.onEvent(name, payload);
  }

  resync() {
    if (this.syncing || !this.socket.connected) return false;
    this.syncing = true;
    this.stats.resyncs += 1;
    this.socket.timeout(5000).emit(EVENTS.SYNC, this.site ? { site: this.site } : {}, (err, snap) => {
      this.syncing = false;
      const pending = this.pending.sort((a, b) => a[1].seq - b[1].seq);
      this.pending = [];
      const replay = () => { for (const [name, payload] of pending) this.handle(name, payload); };
      if (err) { this.poll().then(replay); return; }
      this.applySnapshot(snap);
      replay();
    });
    return true;
  }

  startPolling() {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => this.poll(), this.pollMs);
  }

  stopPolling() {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  async poll() {
    try {
      const q = this.site ? `?site=${encodeURIComponent(this.site)}` : "";
      const res = await fetch(`/api/v1/queue${q}`, { cache: "no-store" });
      if (res.ok) this.applySnapshot(await res.json());
    } catch (_) { /* still offline; the indicator says so */ }
  }
}

// A page's texts: its own table first, then the labels every page shares (`label.<key>`, or
// a full catalogue code such as `status.done`); `aliases` maps a page key to another code.
export function translator(table, lang, aliases = {}) {
  const shared = LABELS[lang];
  return (k) => table[lang][k] ?? shared[aliases[k]] ?? shared[`label.${k}`] ?? shared[k] ?? k;
}

// "khoảng 5 phút" / "dưới 1 phút": an estimated wait, from the shared labels.
export function minutesText(n, lang) {
  const shared = LABELS[lang];
  return n < 1 ? shared["label.minutes_under_one"] : shared["label.minutes"].replace("{n}", n);
}

// Clock text in the centre's time zone, e.g. "Thứ Năm, 26/11/2026 · 09:05:12".
const WEEKDAYS_VI = ["Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];
const WEEKDAYS_EN = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const WEEKDAY_INDEX = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export function clockText(date, lang = "vi", timeZone = "Asia/Ho_Chi_Minh") {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone, weekday: "short", day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(date).map((p) => [p.type, p.value]));
  const day = (lang === "en" ? WEEKDAYS_EN : WEEKDAYS_VI)[WEEKDAY_INDEX[parts.weekday]];
  return `${day}, ${parts.day}/${parts.month}/${parts.year} · ${parts.hour}:${parts.minute}:${parts.second}`;
}

// Which ticket an event is about. /display carries no ticket ids (an id is the secret of a
// status page), but a printed number is unique per site and day (the config refuses
// overlapping number blocks) and stays with its ticket through transfers, as does the
// service it was issued for.
export function ticketKey(tk) {
  return tk ? `${tk.site}|${tk.issued_at.slice(0, 10)}|${tk.transferred_from || tk.service}|${tk.number}` : null;
}

export function sameTicket(a, b) {
  return Boolean(a && b) && ticketKey(a) === ticketKey(b);
}

// Build DOM with text only: names from configuration are never parsed as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// A device page's sign-in code lives in an HttpOnly cookie this script cannot read: the
// server set it when it took `?token=` out of the address (a 303 to the clean URL), or when
// the code was typed in (signInDevice). Each page has its own cookie, named by its slot
// (data-device on <body>); the X-Motcua-Device header names it on every API call, and only
// our own pages can send that header (queue_server/web/device.py).
export function deviceHeaders(extra = {}) {
  return { "X-Motcua-Device": document.body.dataset.device || "", ...extra };
}

// Keep a typed code as this page's device code, once the server has checked it:
// {ok, status, data} with data.error when it was refused.
export async function signInDevice(code) {
  const res = await fetch("/api/v1/device", {
    method: "POST",
    headers: deviceHeaders({ "Content-Type": "application/json" }),
    body: JSON.stringify({ token: code }),
  });
  return { ok: res.ok, status: res.status, data: await res.json().catch(() => ({})) };
}

export async function signOutDevice() {
  await fetch("/api/v1/device", { method: "DELETE", headers: deviceHeaders() }).catch(() => {});
}

// A code kept in localStorage by an older version of the page: moved into the cookie once.
export async function adoptStoredToken(storeKey) {
  const old = localStorage.getItem(storeKey);
  if (!old) return;
  localStorage.removeItem(storeKey);
  await signInDevice(old).catch(() => {});
}

// A counter's state label (a catalogue code, as domain.counters.CounterDay.label_code): a
// closed counter is "Chưa mở" until it has been opened today, "Đã đóng quầy" after.
export function counterStateKey(c) {
  return c.state === "closed" && !c.opened_today ? "counter_state.not_opened" : `counter_state.${c.state}`;
}

// A counter.state event's counter onto the page's own copy of that counter.
export function applyCounterState(c, changed) {
  c.state = changed.state;
  c.opened_today = changed.opened_today;
  c.clerk = changed.clerk || null;
}
