// A ticket's live status on the citizen's phone: refreshed on every event of its field.
// Waiting: people ahead and the estimate; called: the counter to go to; over: thanks, the
// result as the centre recorded it and, when the site offers it, the one-tap rating.
// Every text comes from the catalogue (/contract.js), Vietnamese first.
import { EVENTS } from "/contract.js";
import { LiveQueue, minutesText, sameTicket, translator } from "./live.js";

const body = document.body;
const lang = body.dataset.lang === "en" ? "en" : "vi";
const t = translator({ vi: {}, en: {} }, lang, { online: "label.live" });
const fill = (text, params) => text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? params[k] : m));
const id = body.dataset.ticket;
const $ = (x) => document.getElementById(x);
const OVER = ["done", "no_show", "cancelled"];
let ticket = null;
let timer = null;
let lastStatus = null;
let rating = null;
const serviceNames = {}; // code -> name, from the snapshot (a transfer names both fields)

for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);

function outcome(tk) {
  if (tk.status === "done") return fill(t("result_done"), { counter: tk.counter_name || "" });
  if (tk.status === "no_show") return t("result_no_show");
  return t("result_cancelled");
}

function showRating(data) {
  rating = data.rating || { offered: false, score: null, scale: null };
  const recorded = rating.score != null;
  const section = $("s-rating");
  section.hidden = ticket.status !== "done" || !(rating.offered || recorded);
  $("s-rate-buttons").hidden = !rating.offered;
  $("s-rating-ask").hidden = !rating.offered;
  const msg = $("s-rated");
  msg.hidden = !recorded;
  if (recorded) {
    const level = rating.scale === 3 ? t(`rating_${rating.score}`) : `${rating.score}/${rating.scale}`;
    msg.textContent = fill(t("rating_thanks"), { level });
    msg.className = "rated";
  }
}

async function refresh() {
  const res = await fetch(`/api/v1/tickets/${encodeURIComponent(id)}`, { cache: "no-store" });
  if (!res.ok) return;
  const data = await res.json();
  ticket = data.ticket;
  const status = ticket.status;
  const over = OVER.includes(status);
  $("s-number").textContent = ticket.number;
  $("s-field").textContent = ticket.service_name;
  const st = $("s-state");
  st.textContent = t(`status.${status}`);
  st.className = `state ${status}`;
  const waiting = status === "waiting";
  $("s-ahead").textContent = waiting ? ticket.ahead : "—";
  // A waiting ticket without an estimate: no open counter serves its field yet.
  $("s-estimate").textContent = !waiting ? "—" : data.estimate_minutes != null ? minutesText(data.estimate_minutes, lang) : t("no_counter_open");
  $("f-ahead").hidden = over;
  $("f-estimate").hidden = over;
  $("s-issued").textContent = ticket.issued_at.slice(11, 16);
  const call = $("s-call");
  const called = ["called", "serving"].includes(status) && ticket.counter_name;
  call.hidden = !called;
  call.textContent = called ? fill(t("go_to"), { counter: ticket.counter_name }) : "";
  const moved = $("s-moved");
  moved.hidden = !(waiting && ticket.transferred_from);
  if (!moved.hidden) {
    const from = serviceNames[ticket.transferred_from] || ticket.transferred_from;
    moved.textContent = fill(t("result_transferred"), { from_service: from, to_service: ticket.service_name });
  }
  $("s-result").hidden = !over;
  if (over) $("s-outcome").textContent = outcome(ticket);
  const note = $("s-note");
  note.hidden = over;
  note.textContent = t(waiting ? "status_note" : "called_note");
  showRating(data);
  body.dataset.status = status;
  if (status === "called" && lastStatus !== "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
  lastStatus = status;
}

async function rate(score) {
  const buttons = [...document.querySelectorAll("#s-rate-buttons button")];
  for (const b of buttons) b.disabled = true;
  const msg = $("s-rated");
  try {
    const res = await fetch(`/api/v1/tickets/${encodeURIComponent(id)}/rating`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ score }),
    });
    if (res.ok || res.status === 409) {
      await refresh(); // shows the rating recorded (this one, or an earlier one)
      return;
    }
    throw new Error(`rating answered ${res.status}`);
  } catch (_) {
    msg.hidden = false;
    msg.className = "rated failed";
    msg.textContent = t("rating_failed");
    for (const b of buttons) b.disabled = false;
  }
}

for (const b of document.querySelectorAll("#s-rate-buttons button")) {
  b.addEventListener("click", () => rate(Number(b.dataset.score)));
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch(() => {}), 200);
}

function onSnapshot(snap) {
  for (const s of snap.services || []) serviceNames[s.code] = lang === "en" && s.name_en ? s.name_en : s.name;
  soon();
}

function onEvent(name, p) {
  if (!ticket) { soon(); return; }
  // Events carry no ticket ids: this ticket is the one with its number, field and day.
  const mine = sameTicket(p.ticket, ticket);
  const sameField = p.ticket && p.ticket.service === ticket.service;
  if (mine || sameField || name === EVENTS.COUNTER_STATE) soon();
}

function onStatus(s) {
  $("conn").textContent = t(s);
  $("conn").classList.toggle("offline", s === "offline");
}

new LiveQueue({ site: body.dataset.site, onSnapshot, onEvent, onStatus }).start();
refresh().catch(() => {});
