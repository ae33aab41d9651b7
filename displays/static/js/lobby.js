// Lobby TV: newest call, counters, recent calls, waiting per field.
import { HallSpeaker } from "./announcer.js";
import { EVENTS } from "/contract.js";
import { LiveQueue, applyCounterState, clockText, counterStateKey, el, sameTicket, ticketKey, translator } from "./live.js";

// The lobby's own texts; connection, counter states and most statuses are shared labels.
const T = {
  vi: {
    subtitle: "Hệ thống xếp hàng tự động", invite: "Mời công dân có số", goto: "đến",
    sound_locked: "Chạm vào đây để bật âm thanh gọi số",
    counters: "Quầy đang phục vụ", recent: "Số đã gọi", waiting: "Số người đang chờ",
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

const state = { counters: new Map(), recent: [], waiting: {}, services: [], current: null };

for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);

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
  document.getElementById("now-number").textContent = tk ? tk.number : "—";
  document.getElementById("now-counter").textContent = c ? c.name : "";
  document.getElementById("now-field").textContent = tk ? serviceName(tk) : "";
  const caption = state.caption && tk && state.caption.key === ticketKey(tk) ? state.caption.text : "";
  document.getElementById("now-caption").textContent = caption;
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

function flash() {
  const now = document.getElementById("now");
  now.classList.remove("flash");
  void now.offsetWidth; // restart the animation
  now.classList.add("flash");
}

function remember(tk) {
  // Keep the recent list as "called tickets, newest call first", updated in place.
  const i = state.recent.findIndex((r) => sameTicket(r, tk));
  if (i >= 0) state.recent[i] = tk;
}

const ACTIVE = ["called", "serving"];

// The big panel invites only a citizen still called or served: the newest such call.
// A running page and a freshly loaded one (snapshot) pick it the same way.
function newestActiveCall() {
  return state.recent.find((tk) => callVisible(tk) && ACTIVE.includes(tk.status)) || null;
}

function onSnapshot(snap) {
  state.counters = new Map(snap.counters.map((c) => [c.number, c]));
  state.recent = snap.recent.slice(0, 30);
  state.waiting = snap.waiting;
  state.services = snap.services;
  state.current = newestActiveCall();
  if (snap.site && snap.site.notice !== undefined) document.getElementById("notice").textContent = snap.site.notice;
  body.dataset.seq = snap.seq;
  body.dataset.epoch = snap.epoch;
  renderAll();
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
      state.current = tk;
      state.caption = { key: ticketKey(tk), text: lang === "en" ? p.announcement.text_en : p.announcement.text };
      flash();
      window.dispatchEvent(new CustomEvent("motcua:call", { detail: p }));
      if (speaker && p.announcement && p.announcement.audio_url) {
        speaker.enqueue({ id: `${tk.number}@${p.seq}`, url: p.announcement.audio_url });
      }
    }
  } else if (tk) {
    for (const c of state.counters.values()) {
      if (sameTicket(c.ticket, tk)) c.ticket = ACTIVE.includes(tk.status) ? tk : null;
    }
    remember(tk);
    if (sameTicket(state.current, tk) && !ACTIVE.includes(tk.status)) {
      state.current = newestActiveCall();
    }
  }
  renderAll();
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
