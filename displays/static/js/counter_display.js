// Counter-top display: the number this counter serves; "Chưa mở", "Tạm dừng" or "Đã đóng quầy"
// while it is not open.
import { EVENTS } from "/contract.js";
import { LiveQueue, applyCounterState, counterStateKey, sameTicket, translator } from "./live.js";

// This display's own texts; connection and counter states are shared labels.
const T = {
  vi: { serving: "Đang phục vụ số", idle: "Mời công dân", clerk: "Cán bộ:" },
  en: { serving: "Now serving", idle: "Next please", clerk: "Officer:" },
};
const body = document.body;
const lang = body.dataset.lang === "en" ? "en" : "vi";
const t = translator(T, lang);
const number = Number(body.dataset.counter);
let counter = null;
let services = [];
// Field names in the page's language (tickets carry the Vietnamese name).
function serviceName(tk) {
  const s = lang === "en" ? services.find((x) => x.code === tk.service) : null;
  return s && s.name_en ? s.name_en : tk.service_name;
}

function render() {
  if (!counter) return;
  const tk = counter.ticket;
  body.classList.toggle("paused", counter.state === "paused");
  body.classList.toggle("closed", counter.state === "closed");
  const label = document.getElementById("cd-label");
  const num = document.getElementById("cd-number");
  const field = document.getElementById("cd-field");
  // The officer at the counter, by name, while it is open (or paused) with them.
  const clerk = document.getElementById("cd-clerk");
  const who = counter.state !== "closed" && counter.clerk ? counter.clerk.name : "";
  clerk.hidden = !who;
  clerk.textContent = who ? `${t("clerk")} ${who}` : "";
  if (counter.state !== "open") {
    label.textContent = tk ? `${t("serving")} ${tk.number}` : "";
    num.textContent = t(counterStateKey(counter));
    field.textContent = "";
    return;
  }
  label.textContent = tk ? t("serving") : t("idle");
  num.textContent = tk ? tk.number : "—";
  field.textContent = tk ? serviceName(tk) : "";
}

function onSnapshot(snap) {
  counter = snap.counters.find((c) => c.number === number) || null;
  services = snap.services || [];
  body.dataset.seq = snap.seq;
  render();
}

function onEvent(name, p) {
  body.dataset.seq = p.seq;
  if (!counter) return;
  if (name === EVENTS.COUNTER_STATE && p.counter.number === number) {
    applyCounterState(counter, p.counter);
  } else if (name === EVENTS.CALLED && p.ticket.counter === number) {
    counter.ticket = p.ticket;
    body.classList.remove("flash"); void body.offsetWidth; body.classList.add("flash");
  } else if (sameTicket(counter.ticket, p.ticket)) {
    counter.ticket = ["called", "serving"].includes(p.ticket.status) ? p.ticket : null;
  }
  render();
}

function onStatus(s) {
  const conn = document.getElementById("conn");
  conn.textContent = t(s);
  conn.classList.toggle("offline", s === "offline");
  body.dataset.conn = s;
}

const live = new LiveQueue({ site: body.dataset.site, onSnapshot, onEvent, onStatus });
window.motcuaCounter = { live };
live.start();
