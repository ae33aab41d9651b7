// Lobby TV: the call being announced, those waiting to be read, counters, recent calls,
// waiting per field.
//
// The server gives every call a slot in the site's announcement queue (`announce_at`,
// `announce_ms`, on its clock; snapshots carry the slots not over yet). The main panel shows
// the call whose slot is running, the "Đang chờ đọc" strip those still to come, and each
// takes the panel when its slot starts: the same on every screen of the hall, with or
// without the loudspeaker, whatever the screen's own clock says. Before any call the panel
// shows a calm welcome.
import { HallSpeaker } from "./announcer.js";
import { EVENTS, LABELS } from "/contract.js";
import { LiveQueue, applyCounterState, clockText, counterStateKey, el, sameTicket, ticketKey, translator } from "./live.js";

// The lobby's own texts; connection, counter states and most statuses are shared labels.
const T = {
  vi: {
    subtitle: "Hệ thống xếp hàng tự động", invite: "Mời công dân có số", goto: "đến",
    sound_locked: "Chạm vào đây để bật âm thanh gọi số",
    counters: "Các quầy", recent: "Số đã gọi", waiting: "Số người đang chờ",
    called: "Đang mời", waiting_st: "Chờ lại",
  },
  en: {
    subtitle: "Queue management system", invite: "Now serving number", goto: "please go to",
    sound_locked: "Tap here to turn on the call announcements",
    counters: "Counters", recent: "Recent calls", waiting: "People waiting",
    called: "Calling", waiting_st: "Waiting again",
  },
};

const body = document.body;
const lang = body.dataset.lang === "en" ? "en" : "vi";
const t = translator(T, lang);
const params = new URLSearchParams(location.search);
const onlyCounters = new Set((params.get("counters") || "").split(",").filter(Boolean).map(Number));
const onlyServices = new Set((params.get("services") || "").split(",").filter(Boolean));
const RECENT_MAX = 10;
const UPNEXT_MAX = 3; // what fits on one line of the strip on a landscape screen

const state = {
  counters: new Map(), recent: [], waiting: {}, services: [], current: null,
  slots: [], // {id, ticket, counter, announcement, at, ms}: server-clock ms, in slot order
  shown: null, // the id of the slot that last took the panel
};

for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
// Said to the whole hall: Vietnamese first, English second, whatever the page's language.
for (const node of document.querySelectorAll("[data-both]")) {
  const [vi, en] = ["vi", "en"].map((l) => LABELS[l][`label.${node.dataset.both}`]);
  node.replaceChildren(el("span", { class: "vi" }, vi), el("span", { class: "en", lang: "en" }, en));
}

function counterVisible(c) {
  if (!c) return false;
  if (onlyCounters.size && !onlyCounters.has(c.number)) return false;
  if (onlyServices.size && !c.services.some((s) => onlyServices.has(s))) return false;
  return true;
}

function serviceVisible(code) {
  return !onlyServices.size || onlyServices.has(code);
}

function callVisible(ticket) {
  return ticket && ticket.counter != null && counterVisible(state.counters.get(ticket.counter)) &&
    serviceVisible(ticket.service);
}

// Field names in the page's language (tickets carry the Vietnamese name).
function serviceName(tk) {
  const s = lang === "en" ? state.services.find((x) => x.code === tk.service) : null;
  return s && s.name_en ? s.name_en : tk.service_name;
}

function renderNow() {
  const tk = state.current;
  const c = tk ? state.counters.get(tk.counter) : null;
  const panel = document.getElementById("now");
  panel.classList.toggle("idle", !tk);
  document.getElementById("now-call").hidden = !tk;
  document.getElementById("welcome").hidden = Boolean(tk);
  document.getElementById("now-number").textContent = tk ? tk.number : "—";
  document.getElementById("now-counter").textContent = c ? c.name : tk ? tk.counter_name || "" : "";
  document.getElementById("now-field").textContent = tk ? serviceName(tk) : "";
  const caption = state.caption && tk && state.caption.key === ticketKey(tk) ? state.caption.text : "";
  document.getElementById("now-caption").textContent = caption;
  renderUpNext();
}

// The strip under the main panel: calls whose slot has not begun, in the order they will
// be read.
function renderUpNext() {
  const now = live.serverNow();
  const waiting = state.slots.filter((s) => s.at > now && callVisible(s.ticket));
  document.getElementById("upnext").hidden = !waiting.length;
  const shown = waiting.slice(0, UPNEXT_MAX).map((s) => {
    const c = state.counters.get(s.ticket.counter);
    return el("li", { dataset: { ticket: s.ticket.number } },
      el("span", { class: "unum" }, s.ticket.number),
      el("span", { class: "uctr" }, c ? c.name : s.counter.name));
  });
  const more = waiting.length - shown.length;
  if (more > 0) shown.push(el("li", { class: "more" }, el("span", { class: "umore" }, `+${more}`)));
  document.getElementById("upnext-list").replaceChildren(...shown);
}

function renderTiles() {
  const tiles = document.getElementById("tiles");
  const visible = [...state.counters.values()].filter(counterVisible);
  tiles.style.setProperty("--cols", visible.length > 12 ? 5 : visible.length > 6 ? 4 : 3);
  tiles.replaceChildren(...visible.map((c) => {
    const tk = c.ticket;
    const stateText = c.state === "paused" || c.state === "closed" ? t(counterStateKey(c)) : "";
    return el("div", { class: `tile ${c.state}${sameTicket(tk, state.current) ? " fresh" : ""}`,
      dataset: { counter: String(c.number) } },
      el("div", { class: "cname" }, c.name),
      el("div", { class: "cnum" }, tk ? tk.number : "—"),
      el("div", { class: "cstate" }, stateText || (tk ? serviceName(tk) : "")));
  }));
}

function statusText(tk) {
  if (tk.status === "waiting") return t("waiting_st");
  return tk.status === "called" ? t("called") : t(`status.${tk.status}`);
}

function renderRecent() {
  const list = document.getElementById("recent");
  const items = state.recent.filter(callVisible).slice(0, RECENT_MAX);
  list.replaceChildren(...items.map((tk) => {
    const c = state.counters.get(tk.counter);
    return el("li", { dataset: { ticket: tk.number } },
      el("span", { class: "rnum" }, tk.number),
      el("span", { class: "rctr" }, c ? c.name : ""),
      el("span", { class: `rst st-${tk.status}` }, statusText(tk)));
  }));
}

function renderWaiting() {
  const list = document.getElementById("waiting");
  list.replaceChildren(...state.services.filter((s) => serviceVisible(s.code)).map((s) =>
    el("li", { dataset: { service: s.code } },
      el("span", { class: "wname" }, lang === "en" && s.name_en ? s.name_en : s.name),
      el("span", { class: "wcount" }, state.waiting[s.code] ?? 0))));
}

function renderAll() {
  renderNow(); renderTiles(); renderRecent(); renderWaiting();
}

// Four flashes of the main panel when a call takes it: a class switched on and off, never a
// colour half way, so every moment is as readable as the two states (tests check both).
let flashTimer = null;
function flash() {
  const now = document.getElementById("now");
  clearInterval(flashTimer);
  let step = 0;
  now.classList.add("lit");
  body.dataset.flash = "1";
  flashTimer = setInterval(() => {
    step += 1;
    now.classList.toggle("lit", step % 2 === 0 && step < 8);
    if (step >= 8) { clearInterval(flashTimer); delete body.dataset.flash; }
  }, 300);
}

function remember(tk) {
  // Keep the recent list as "called tickets, newest call first", updated in place.
  const i = state.recent.findIndex((r) => sameTicket(r, tk));
  if (i >= 0) state.recent[i] = tk;
}

const ACTIVE = ["called", "serving"];

// Without a running slot the big panel invites only a citizen still called or served: the
// newest such call already read out. A running page and a freshly loaded one pick it alike.
function newestActiveCall() {
  const now = live.serverNow();
  const unread = new Set(state.slots.filter((s) => s.at > now).map((s) => ticketKey(s.ticket)));
  return state.recent.find((tk) => callVisible(tk) && ACTIVE.includes(tk.status) &&
    !unread.has(ticketKey(tk))) || null;
}

// The newest state of a slot's ticket (it may have moved on since it was called).
function latest(tk) {
  return state.recent.find((r) => sameTicket(r, tk)) || tk;
}

function slotOf(call, seq, at, ms) {
  return { id: `${call.ticket.number}@${seq}`, ticket: call.ticket, counter: call.counter,
    announcement: call.announcement, at: Date.parse(at), ms };
}

function addSlot(slot) {
  if (state.slots.some((s) => s.id === slot.id)) return;
  state.slots.push(slot);
  state.slots.sort((a, b) => a.at - b.at);
  if (speaker && slot.announcement.audio_url && slot.at + slot.ms > live.serverNow()) {
    // On this browser's clock: the server's minus the offset.
    speaker.enqueue({ id: slot.id, url: slot.announcement.audio_url, at: slot.at - live.offset });
  }
}

// Which call holds the panel now: the visible slot that began last; slots over and behind
// it are forgotten. Runs on every event and at every slot boundary.
let slotTimer = null;
function advance() {
  const now = live.serverNow();
  const started = state.slots.filter((s) => s.at <= now && callVisible(s.ticket));
  const last = started[started.length - 1] || null;
  const running = last && last.at + last.ms > now ? last : null;
  state.slots = state.slots.filter((s) => s.at + s.ms > now || s === last);
  // A slot seen only once it is over (a zero-length slot, or a timer late on a busy box)
  // whose citizen has meanwhile been served takes no panel: nobody is being called.
  const stale = last && !running && !ACTIVE.includes(latest(last.ticket).status);
  if (last && last.id !== state.shown && !stale) {
    state.shown = last.id;
    state.current = latest(last.ticket);
    state.caption = { key: ticketKey(last.ticket),
      text: lang === "en" ? last.announcement.text_en : last.announcement.text };
    flash();
  } else if (running) {
    state.current = latest(running.ticket);
  } else if (!state.current || !ACTIVE.includes(state.current.status)) {
    state.current = newestActiveCall();
  }
  body.dataset.announcing = running ? running.ticket.number : "";
  renderAll();
  clearTimeout(slotTimer);
  const next = state.slots.find((s) => s.at > now);
  const edge = Math.min(next ? next.at : Infinity, running ? running.at + running.ms : Infinity);
  if (edge < Infinity) slotTimer = setTimeout(advance, Math.max(20, edge - now + 5));
}

function onSnapshot(snap) {
  state.counters = new Map(snap.counters.map((c) => [c.number, c]));
  state.recent = snap.recent.slice(0, 30);
  state.waiting = snap.waiting;
  state.services = snap.services;
  for (const call of snap.announcing || []) {
    addSlot(slotOf(call, call.seq, call.announce_at, call.announce_ms));
  }
  state.current = null; // chosen again by advance(); a slot already shown does not flash again
  if (snap.site && snap.site.notice !== undefined) {
    document.getElementById("notice").textContent = snap.site.notice;
    document.getElementById("welcome-notice").textContent = snap.site.notice;
    document.getElementById("welcome-centre").textContent = snap.site.name;
  }
  body.dataset.seq = snap.seq;
  body.dataset.epoch = snap.epoch;
  advance();
}

function onEvent(name, p) {
  body.dataset.seq = p.seq;
  if (p.waiting) state.waiting = p.waiting;
  const tk = p.ticket;
  if (name === EVENTS.COUNTER_STATE) {
    const c = state.counters.get(p.counter.number);
    if (c) applyCounterState(c, p.counter);
  } else if (name === EVENTS.CALLED) {
    const c = state.counters.get(tk.counter);
    if (c) c.ticket = tk;
    state.recent = [tk, ...state.recent.filter((r) => !sameTicket(r, tk))].slice(0, 30);
    if (callVisible(tk)) {
      window.dispatchEvent(new CustomEvent("motcua:call", { detail: p }));
      addSlot(slotOf(p, p.seq, p.announce_at, p.announce_ms));
    }
  } else if (tk) {
    for (const c of state.counters.values()) {
      if (sameTicket(c.ticket, tk)) c.ticket = ACTIVE.includes(tk.status) ? tk : null;
    }
    remember(tk);
    if (sameTicket(state.current, tk)) state.current = tk;
  }
  advance();
}

function onStatus(s) {
  const conn = document.getElementById("conn");
  conn.textContent = t(s);
  conn.classList.toggle("offline", s === "offline");
  body.dataset.conn = s;
}

// ?audio=0 on every screen of a hall but one, so each hall has one loudspeaker queue.
const speaker = params.get("audio") === "0" ? null : new HallSpeaker({
  onLocked: () => { document.getElementById("sound-lock").hidden = false; body.dataset.audio = "locked"; },
  onUnlocked: () => { document.getElementById("sound-lock").hidden = true; body.dataset.audio = "on"; },
});
if (speaker) {
  document.getElementById("sound-lock").addEventListener("click", () => speaker.unlock());
  window.motcuaSpeaker = speaker;
}

const live = new LiveQueue({ site: body.dataset.site, onSnapshot, onEvent, onStatus });
window.motcuaLobby = { live, state };
live.start();

function tick() { document.getElementById("clock").textContent = clockText(new Date(), lang, body.dataset.tz); }
tick();
setInterval(tick, 1000);
