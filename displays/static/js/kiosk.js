// Kiosk: the idle screen shows the fields; a tap on a field issues and prints the ticket.
// With the priority step on, each field has its own "Ưu tiên" button beside it: a priority
// citizen taps it and confirms (two taps), everybody else taps the field (one tap).
import { adoptStoredToken, clockText, deviceHeaders, el, minutesText, signInDevice, translator } from "./live.js";

// The kiosk's own texts; your number, people ahead, the estimate and "keep your ticket" are
// shared labels.
const T = {
  vi: {
    citizen_q: "Nhập số điện thoại hoặc số CCCD", citizen_why: "Mỗi người được lấy 1 số cho mỗi lĩnh vực trong ngày. Số của bạn được mã hóa, không hiển thị.",
    next_step: "Tiếp tục",
    lookup: "Tra cứu thủ tục, giấy tờ", back: "Quay lại", take_with_docs: "Lấy số và in danh sách giấy tờ này",
    priority_badge: "ƯU TIÊN", reprint: "In lại phiếu",
    done: "Xong", ok: "Đã hiểu", device_signin: "Kích hoạt kiosk", device_code: "Mã thiết bị kiosk", activate: "Kích hoạt",
    closed: "Ngoài giờ lấy số", full: "Đã hết số hôm nay", printing: "Đang in phiếu…",
    printed: "Đã in phiếu. Mời bạn nhận phiếu ở khe bên dưới.",
    print_failed: (m) => `${m} Số của bạn vẫn được giữ. Vui lòng ghi nhớ số này hoặc nhờ cán bộ hỗ trợ.`,
    closed_title: "Ngoài giờ lấy số", full_title: "Đã hết số trong ngày", error_title: "Chưa lấy được số",
    closed_text: (n, h) => `Lĩnh vực ${n} hiện ngoài giờ lấy số. Giờ làm việc: ${h}.`,
    full_text: (n, h) => `Lĩnh vực ${n} đã hết số trong ngày hôm nay. Mời quay lại vào ngày làm việc tiếp theo (giờ làm việc: ${h}).`,
    no_procedures: "Chưa có thông tin thủ tục cho lĩnh vực này.",
    docs: "Giấy tờ cần mang theo", network: "Không kết nối được máy chủ. Vui lòng thử lại hoặc nhờ cán bộ hỗ trợ.",
    busy: "Bạn thao tác quá nhanh. Vui lòng chờ giây lát rồi thử lại.",
  },
  en: {
    citizen_q: "Enter your phone or ID card number", citizen_why: "One number per person per field each day. Your number is stored encrypted and never shown.",
    next_step: "Continue",
    lookup: "Procedures and documents", back: "Back", take_with_docs: "Take a number and print the checklist",
    priority_badge: "PRIORITY", reprint: "Print again",
    done: "Done", ok: "OK", device_signin: "Activate kiosk", device_code: "Kiosk device code", activate: "Activate",
    closed: "Outside opening hours", full: "No more numbers today", printing: "Printing…",
    printed: "Printed. Please take your ticket below.",
    print_failed: (m) => `${m} Your number is kept. Please remember it or ask a member of staff.`,
    closed_title: "Outside opening hours", full_title: "No more numbers today", error_title: "Could not take a number",
    closed_text: (n, h) => `${n} is not issuing numbers now. Opening hours: ${h}.`,
    full_text: (n, h) => `${n} has issued all its numbers for today. Please come back on the next working day (hours: ${h}).`,
    no_procedures: "No procedure information for this field yet.",
    docs: "Documents to bring", network: "Cannot reach the server. Please try again or ask a member of staff.",
    busy: "Too fast. Please wait a moment and try again.",
  },
};

const body = document.body;
const lang = body.dataset.lang === "en" ? "en" : "vi";
const t = translator(T, lang, { keep: "label.keep_ticket" });
const other = translator(T, lang === "en" ? "vi" : "en", {});
const fill = (text, params) => text.replace(/\{(\w+)\}/g, (_, k) => params[k] ?? "");
const site = body.dataset.site;
const idleMs = Number(body.dataset.idleSeconds || 20) * 1000;
const priorityStep = body.dataset.priorityStep === "1";
const storeKey = `motcua.kiosk.${site}`;
const $ = (id) => document.getElementById(id);
const state = { services: [], choice: null, procedure: null, ticket: null };
let idleTimer = null;

for (const node of document.querySelectorAll("[data-i18n]")) {
  const key = node.dataset.i18n;
  node.textContent = key.endsWith("_other") ? other(key.slice(0, -6)) : t(key);
}

// Spoken guidance from the same offline voice as the calls. Every step follows a touch,
// so the browser allows the sound; a missing voice just means silence.
const voiceOn = body.dataset.voice === "1";
const guideAudio = new Audio();
// Said aloud: what a step's guidance is heard as, whether its file came from the server or
// from the browser's cache (the files are cached for an hour, so a step seen before, such
// as the idle screen fetched at start, often makes no request at all).
guideAudio.addEventListener("playing", () => {
  window.dispatchEvent(new CustomEvent("motcua:guide-audio",
    { detail: { step: guideAudio.dataset.step, src: guideAudio.src } }));
});
function guide(step) {
  window.dispatchEvent(new CustomEvent("motcua:guide", { detail: { step, lang } }));
  body.dataset.guide = step;
  if (!voiceOn || step === "message" || step === "lookup") return;
  guideAudio.dataset.step = step;
  guideAudio.src = `/audio/guide/${step}.wav?site=${encodeURIComponent(site)}&lang=${lang}`;
  guideAudio.play().catch(() => { /* not allowed yet, or no voice: stay silent */ });
}

function show(id) {
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== id;
  body.dataset.screen = id.replace("screen-", "");
  clearTimeout(idleTimer);
  if (id !== "screen-idle" && id !== "screen-signin") idleTimer = setTimeout(home, idleMs);
}

// Restart the idle countdown on the screen shown now (after an answer that took long).
function keepAwake() {
  clearTimeout(idleTimer);
  const current = body.dataset.screen;
  if (current && current !== "idle" && current !== "signin") idleTimer = setTimeout(home, idleMs);
}

function home() {
  state.choice = null;
  state.procedure = null;
  show("screen-idle");
  guide("idle");
  loadServices().catch(() => { /* offline: keep the fields shown */ });
}

// Back to the fields (the idle screen) after a message, the lookup or a step left.
function backToFields() {
  state.choice = null;
  state.procedure = null;
  show("screen-idle");
  guide("fields");
}

// ---- device sign-in ----------------------------------------------------------
// The kiosk's code is in its device cookie (a ?token= link or the code typed here); a code
// that is refused (revoked, expired, unknown) puts the kiosk out of service with a clear
// message for citizens, and the form for staff to enter a new one.
$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("signin-error").textContent = "";
  const signed = await signInDevice($("token").value.trim()).catch(() => null);
  if (!signed) { $("signin-error").textContent = t("network"); return; }
  if (!signed.ok) { $("signin-error").textContent = errorText(signed.data, t("network")); return; }
  $("token").value = "";
  $("signin-refused").hidden = true;
  delete body.dataset.deviceRefused;
  start();
});

function errorText(data, fallback) {
  const e = data && data.error;
  return e ? (lang === "en" ? e.message_en : e.message) : fallback;
}

// No code yet: the activation form. A code refused: out of service, said large.
function signedOut(data) {
  const code = data && data.error ? data.error.code : "unauthorized";
  const refused = code !== "missing_token";
  $("signin-refused").hidden = !refused;
  $("signin-staff").hidden = !refused;
  if (refused) body.dataset.deviceRefused = code; else delete body.dataset.deviceRefused;
  delete body.dataset.ready;
  show("screen-signin");
}

async function api(method, path, payload) {
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: deviceHeaders({ "Content-Type": "application/json" }),
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) { signedOut(data); throw new Error("auth"); }
  if (!res.ok) throw Object.assign(new Error("api"), { status: res.status, data });
  return data;
}

// ---- fields --------------------------------------------------------------------
async function loadServices() {
  const data = await api("GET", `/services?site=${encodeURIComponent(site)}`);
  state.services = data.services;
  renderFields();
}

// "7:30–11:30" must not break at its dash: word joiners keep each session on one line.
const hoursText = (h) => (h || "").replace(/(\d)–(\d)/g, "$1\u2060–\u2060$2");

function fieldName(s) {
  return lang === "en" && s.name_en ? s.name_en : s.name;
}

function fieldNote(s) {
  if (!s.open) return `${t("closed")} · ${hoursText(s.hours)}`;
  if (s.remaining === 0) return t("full");
  return lang === "en" ? s.name : (s.name_en || "");
}

// A field's pictogram: <svg><use href="#ic-NAME"/></svg>, built as nodes (never markup); a
// name the page has no symbol for shows the plain document.
const SVG_NS = "http://www.w3.org/2000/svg";
function pictogram(name) {
  const svg = document.createElementNS(SVG_NS, "svg");
  const use = document.createElementNS(SVG_NS, "use");
  const known = name && document.getElementById(`ic-${name}`) instanceof SVGSymbolElement;
  use.setAttribute("href", `#ic-${known ? name : "doc"}`);
  svg.append(use);
  return svg;
}

const landscape = window.matchMedia("(orientation: landscape)");
landscape.addEventListener("change", () => renderFields());

function renderFields() {
  const box = $("fields");
  const n = state.services.length;
  // One column of rows on a portrait kiosk, two side by side on a landscape one.
  const cols = landscape.matches || n > 10 ? 2 : 1;
  box.style.setProperty("--cols", cols);
  box.style.setProperty("--rows", Math.ceil(n / cols));
  box.replaceChildren(...state.services.map((s) => {
    const closed = !s.open;
    const full = s.remaining === 0;
    const cls = `${closed ? " closed" : ""}${full ? " full" : ""}`;
    const b = el("button", { class: `k-field${cls}`, dataset: { service: s.code } });
    b.append(pictogram(s.icon));
    b.append(el("span", { class: "k-flabel" }, el("span", { class: "k-fname" }, fieldName(s)),
      el("span", { class: "k-fnote" }, fieldNote(s))));
    b.addEventListener("click", () => choose(s, null, false));
    const row = el("div", { class: `k-frow${cls}`, dataset: { service: s.code } }, b);
    if (priorityStep) {
      // Its own big button, beside the field it belongs to, in the priority colour.
      const p = el("button", { class: `k-prio${cls}`, dataset: { service: s.code } });
      p.append(pictogram("priority"), el("span", { class: "k-prio-label" }, t("priority")),
        el("span", { class: "k-prio-other" }, other("priority")));
      p.addEventListener("click", () => choose(s, null, true));
      row.append(p);
    }
    return row;
  }));
}

// A field tapped: the ticket at once; with `priority`, first the one confirming question.
function choose(s, procedure = null, priority = false) {
  state.choice = s;
  state.procedure = procedure;
  if (!s.open) { message(t("closed_title"), t("closed_text")(fieldName(s), hoursText(s.hours))); return; }
  if (s.remaining === 0) { message(t("full_title"), t("full_text")(fieldName(s), hoursText(s.hours))); return; }
  askCitizen(() => {
    if (priority) {
      $("priority-q").textContent = fill(t("kiosk_priority_q"), { field: fieldName(s) });
      show("screen-priority");
      guide("priority");
      return;
    }
    issue(false);
  });
}

// When the centre allows one ticket per citizen per field per day, ask for a phone or
// ID number on a big on-screen keypad (only its keyed hash is stored by the server).
const citizenStep = body.dataset.citizen === "1";
let afterCitizen = null;
function askCitizen(then) {
  if (!citizenStep) { then(); return; }
  afterCitizen = then;
  state.citizen = "";
  $("citizen-value").textContent = "";
  $("citizen-next").disabled = true;
  show("screen-citizen");
  guide("citizen");
}
for (const key of document.querySelectorAll("#citizen-keys button")) {
  key.addEventListener("click", () => {
    const k = key.dataset.key;
    state.citizen = k === "del" ? state.citizen.slice(0, -1) : (state.citizen + k).slice(0, 12);
    $("citizen-value").textContent = state.citizen.replace(/(\d{4})(?=\d)/g, "$1 ");
    $("citizen-next").disabled = ![9, 10, 12].includes(state.citizen.length);
  });
}
$("citizen-next").addEventListener("click", () => { if (afterCitizen) afterCitizen(); });
$("citizen-back").addEventListener("click", backToFields);

// ---- issuing and printing -----------------------------------------------------
async function issue(priority) {
  const s = state.choice;
  show("screen-ticket");
  $("t-number").textContent = "…";
  $("t-field").textContent = fieldName(s);
  renderWhere(s);
  setPrint("", t("printing"));
  $("btn-reprint").hidden = true;
  delete body.dataset.print;
  delete body.dataset.ticket;
  // A printer can take seconds (a timeout, a stalled job): no countdown until the answer,
  // so the citizen always gets to see the number and the print result.
  clearTimeout(idleTimer);
  try {
    const data = await api("POST", `/tickets?site=${encodeURIComponent(site)}`,
      { service: s.code, priority, print: true, ...(state.procedure ? { procedure: state.procedure } : {}),
        ...(citizenStep ? { citizen_id: state.citizen } : {}) });
    state.ticket = data.ticket;
    renderTicket(data);
    keepAwake();
    guide(data.print && !data.print.ok ? "print_failed" : "ticket");
    loadServices().catch(() => {});
  } catch (err) {
    if (err.message === "auth") return;
    keepAwake();
    const e = err.data && err.data.error;
    const title = e && e.code === "closed_hours" ? t("closed_title")
      : e && e.code === "daily_cap_reached" ? t("full_title") : t("error_title");
    message(title, err.status === 429 ? t("busy") : e ? (lang === "en" ? e.message_en : e.message) : t("network"));
    loadServices().catch(() => {});
  }
}

function renderTicket(data) {
  const tk = data.ticket;
  $("t-number").textContent = tk.number;
  const svc = state.services.find((x) => x.code === tk.service);
  $("t-field").textContent = svc ? fieldName(svc) : tk.service_name;
  $("t-prio").hidden = !tk.priority;
  $("t-ahead").textContent = tk.ahead ?? 0;
  // A new ticket waits, so no estimate means no open counter serves its field yet.
  $("t-estimate").textContent = data.estimate_minutes == null ? t("no_counter_open") : minutesText(data.estimate_minutes, lang);
  renderWhere(svc);
  body.dataset.ticket = tk.number;
  showPrint(data.print);
}

// Where to go: the counters serving this field and the waiting area, from /services.
function renderWhere(svc) {
  const counters = svc && svc.counters ? svc.counters : [];
  const area = svc && svc.waiting_area ? svc.waiting_area : "";
  $("t-counters").textContent = fill(t("serving_counters"), { counters: counters.join(", ") });
  $("t-counters").hidden = counters.length === 0;
  $("t-area").textContent = fill(t("waiting_area"), { area });
  $("t-area").hidden = !area;
}

function setPrint(kind, text) {
  const p = $("t-print");
  p.className = `k-t-print ${kind}`;
  p.textContent = text;
}

// An ordinary printer: the kiosk's browser prints the HTML slip. Start the kiosk's Chromium
// with --kiosk-printing so it prints to the default printer without a dialog.
function printInBrowser(url) {
  let frame = document.getElementById("slip-frame");
  if (!frame) {
    frame = el("iframe", { id: "slip-frame", title: "slip", style: "position:absolute;width:0;height:0;border:0" });
    document.body.append(frame);
  }
  frame.onload = () => { try { frame.contentWindow.print(); } catch (_) { /* printing blocked */ } };
  frame.src = url;
}

function showPrint(result) {
  if (!result) { setPrint("", ""); return; }
  if (result.mode === "browser" && result.slip_url) printInBrowser(result.slip_url);
  const msg = lang === "en" ? result.message_en : result.message;
  if (result.ok) { setPrint("ok", t("printed")); $("btn-reprint").hidden = true; body.dataset.print = "ok"; }
  else { setPrint("err", t("print_failed")(msg)); $("btn-reprint").hidden = false; body.dataset.print = result.error_code; }
}

$("btn-reprint").addEventListener("click", async () => {
  if (!state.ticket) return;
  setPrint("", t("printing"));
  delete body.dataset.print;
  show("screen-ticket");
  clearTimeout(idleTimer);
  try {
    const data = await api("POST", `/tickets/${state.ticket.id}/print`,
      state.procedure ? { procedure: state.procedure } : {});
    showPrint(data.print);
  } catch (err) {
    if (err.message !== "auth") setPrint("err", t("network"));
  }
  keepAwake();
});

function message(title, text) {
  $("m-title").textContent = title;
  $("m-text").textContent = text;
  show("screen-message");
  guide("message");
}

// ---- procedure lookup ------------------------------------------------------------
// Long lists are paged, never scrolled out of sight: as many whole cards as fit on the
// screen, then large "Xem tiếp" / "Trang trước" buttons and "Trang 2/5".
const pager = { pages: [[]], page: 0 };

function showLookup(s = null) {
  const box = $("lookup");
  body.dataset.lookup = s ? s.code : "";
  $("lookup-title").textContent = s ? fieldName(s) : t("lookup");
  box.classList.toggle("k-lookup-fields", !s);
  let cards;
  if (!s) {
    cards = state.services.map((x) => {
      const b = el("button", { class: "k-field", dataset: { service: x.code } });
      b.append(pictogram(x.icon), el("span", { class: "k-flabel" }, el("span", { class: "k-fname" }, fieldName(x))));
      b.addEventListener("click", () => showLookup(x));
      return b;
    });
  } else {
    state.choice = s;
    const procs = s.procedures || [];
    cards = procs.length ? procs.map((p) => {
      const take = el("button", { class: "k-primary k-take" }, t("take_with_docs"));
      take.addEventListener("click", () => choose(s, p.name, false));
      return el("div", { class: "k-proc" },
        el("h2", {}, p.name),
        el("div", { class: "k-docs-label" }, t("docs")),
        el("ul", {}, ...p.documents.map((d) => el("li", {}, d))),
        take);
    }) : [el("p", { class: "k-hint" }, t("no_procedures"))];
  }
  box.replaceChildren(...cards);
  show("screen-lookup");
  paginate(box, cards);
  guide("lookup");
}

// Split the cards into pages of whatever fits the box (measured, since lists differ).
function paginate(box, cards) {
  pager.pages = [[]];
  $("page-nav").hidden = false;  // measured with the page buttons in place, so nothing moves
  for (const c of cards) c.hidden = true;
  for (const c of cards) {
    c.hidden = false;
    const page = pager.pages[pager.pages.length - 1];
    if (page.length && box.scrollHeight > box.clientHeight + 1) {
      for (const other of page) other.hidden = true;
      pager.pages.push([c]);
    } else {
      page.push(c);
    }
  }
  turn(0);
}

function turn(page) {
  pager.page = Math.max(0, Math.min(page, pager.pages.length - 1));
  pager.pages.forEach((cards, i) => { for (const c of cards) c.hidden = i !== pager.page; });
  const many = pager.pages.length > 1;
  $("page-nav").hidden = !many;
  // Hidden buttons keep their room (visibility), so the list's box never changes size.
  $("btn-page-prev").classList.toggle("k-off", pager.page === 0);
  $("btn-page-next").classList.toggle("k-off", pager.page === pager.pages.length - 1);
  $("page-of").textContent = many ? fill(t("kiosk_page"), { page: pager.page + 1, pages: pager.pages.length }) : "";
  body.dataset.page = `${pager.page + 1}/${pager.pages.length}`;
}

$("btn-page-next").addEventListener("click", () => turn(pager.page + 1));
$("btn-page-prev").addEventListener("click", () => turn(pager.page - 1));
$("btn-lookup").addEventListener("click", () => showLookup());
$("btn-back-lookup").addEventListener("click", () => {
  if (body.dataset.lookup) showLookup(); else backToFields();
});
$("btn-priority-yes").addEventListener("click", () => issue(true));
$("btn-priority-no").addEventListener("click", () => issue(false));
$("btn-back-priority").addEventListener("click", backToFields);
$("btn-done").addEventListener("click", home);
$("btn-message-ok").addEventListener("click", backToFields);
// Any touch keeps the kiosk awake on the current screen.
document.addEventListener("pointerdown", () => {
  const current = body.dataset.screen;
  if (current && current !== "idle" && current !== "signin") show(`screen-${current}`);
});

async function start() {
  try {
    await api("GET", "/device");  // the kiosk's code still works (401: out of service)
    await loadServices();
    home();
    body.dataset.ready = "1";
  } catch (err) {
    if (err.message !== "auth") message(t("error_title"), t("network"));
  }
}

// Opening hours and caps change while the idle screen waits: refresh it now and then, and
// check the kiosk's code, so a revoked one shows «tạm ngừng phục vụ» before anyone taps.
setInterval(() => {
  if (body.dataset.screen === "idle") {
    api("GET", "/device").then(() => loadServices()).catch(() => {});
  }
}, 60_000);

function tick() { $("clock").textContent = clockText(new Date(), lang, body.dataset.tz); }
tick();
setInterval(tick, 1000);
adoptStoredToken(storeKey).then(start);
