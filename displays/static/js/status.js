// A ticket's live status on the citizen's phone: refreshed on every event of its field.
import { EVENTS } from "/contract.js";
import { LiveQueue, minutesText, sameTicket, translator } from "./live.js";

// This page's own texts (its "online" is its own); the rest are shared labels.
const T = {
  vi: {
    issued: "Giờ lấy số", note: "Trang này tự cập nhật. Vui lòng có mặt tại sảnh khi gần đến lượt.",
    online: "Đang cập nhật", go_to: (c) => `Mời bạn đến ${c}`,
  },
  en: {
    issued: "Issued at", note: "This page updates itself. Please be in the hall when your turn is near.",
    online: "Live", go_to: (c) => `Please go to ${c}`,
  },
};
const body = document.body;
const lang = body.dataset.lang === "en" ? "en" : "vi";
const t = translator(T, lang);
const id = body.dataset.ticket;
const $ = (x) => document.getElementById(x);
let ticket = null;
let timer = null;

for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);

async function refresh() {
  const res = await fetch(`/api/v1/tickets/${encodeURIComponent(id)}`, { cache: "no-store" });
  if (!res.ok) return;
  const data = await res.json();
  ticket = data.ticket;
  $("s-number").textContent = ticket.number;
  $("s-field").textContent = ticket.service_name;
  const st = $("s-state");
  st.textContent = ticket.status_text;
  st.className = `state ${ticket.status}`;
  const waiting = ticket.status === "waiting";
  $("s-ahead").textContent = waiting ? ticket.ahead : "—";
  // A waiting ticket without an estimate: no open counter serves its field yet.
  $("s-estimate").textContent = !waiting ? "—" : data.estimate_minutes != null ? minutesText(data.estimate_minutes, lang) : t("no_counter_open");
  $("s-issued").textContent = ticket.issued_at.slice(11, 16);
  const call = $("s-call");
  const called = ["called", "serving"].includes(ticket.status) && ticket.counter_name;
  call.hidden = !called;
  call.textContent = called ? t("go_to")(ticket.counter_name) : "";
  body.dataset.status = ticket.status;
  if (ticket.status === "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch(() => {}), 200);
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

new LiveQueue({ site: body.dataset.site, onSnapshot: soon, onEvent, onStatus }).start();
refresh().catch(() => {});
