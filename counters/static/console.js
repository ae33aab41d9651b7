// Clerk console: actions through the API, signed in with the clerk's account (the session
// cookie, and its CSRF token on every change) or with the counter's code (a bearer token, for
// counter PCs that still use one: ?code=1, or a ?token= link, which the server moves into this
// page's device cookie); live state from /display.
import { EVENTS } from "/contract.js";
import {
  LiveQueue, adoptStoredToken, applyCounterState, counterStateKey, deviceHeaders, el, sameTicket,
  signInDevice, signOutDevice, translator,
} from "/static/displays/js/live.js";
import { clockText, durationText } from "/static/counters/duration.js";

// The console's own texts; connection, priority and ticket statuses are shared labels.
// Each thing has its own words: the counter's state ("Quầy đang mở"), the ticket at the
// counter ("Số hiện tại", "Đã gọi, chờ công dân đến" / "Đang phục vụ"), today's count
// ("Đã phục vụ xong").
const T = {
  vi: {
    signout: "Đăng xuất", signin_title: "Đăng nhập quầy", signin_label: "Mã đăng nhập của quầy",
    signin: "Đăng nhập", current: "Số hiện tại", elapsed: "Từ lúc gọi:",
    "tstatus.called": "Đã gọi, chờ công dân đến", "tstatus.serving": "Đang phục vụ",
    "cstate.open": "Quầy đang mở", "cstate.paused": "Quầy tạm dừng", "cstate.closed": "Đã đóng quầy",
    next: "Gọi số tiếp theo", start: "Bắt đầu phục vụ", recall: "Gọi lại", noshow: "Không có mặt",
    complete: "Hoàn thành", transfer: "Chuyển lĩnh vực", specific: "Gọi số cụ thể",
    callback: "Gọi lại số vắng", cancelnum: "Hủy số", pause: "Tạm dừng", resume: "Tiếp tục",
    transfer_to: "Chuyển sang lĩnh vực", transfer_go: "Chuyển", back: "Thôi",
    specific_label: "Số cần gọi (A012, a12 hoặc 12)", callback_label: "Số vắng đã quay lại",
    cancel_label: "Số cần hủy", call: "Gọi", return: "Đưa về hàng chờ",
    ask_yes: "Có, không có mặt", ask_no: "Không, đã phục vụ",
    ask: (n) => `Số ${n} chưa được phục vụ: đánh dấu Không có mặt?`,
    confirm_cancel: (n) => `Bấm «Hủy số» (−) lần nữa để hủy số ${n}.`,
    need_number: "Vui lòng gõ số in trên phiếu.",
    waiting: "Đang chờ", today: "Hôm nay tại quầy", served: "Đã phục vụ xong", noshows: "Không có mặt",
    avg: "Thời gian xử lý trung bình",
    keys: "Phím tắt: Enter gọi tiếp · 0 bắt đầu · + gọi lại · − không có mặt · * hoàn thành · / chuyển · . gọi số (rồi Enter gọi, + về hàng chờ, − hủy) · F9 số vắng · F10 hủy số · P tạm dừng · D mở/đóng quầy",
    called_msg: (n) => `Đã gọi số ${n}.`, nobody: "Không có công dân nào đang chờ.",
    started_msg: (n) => `Bắt đầu phục vụ số ${n}.`,
    recalled_msg: (n) => `Đã gọi lại số ${n}.`, done_msg: (n) => `Đã hoàn thành số ${n}.`,
    noshow_msg: (n) => `Số ${n}: không có mặt.`, transferred_msg: (n, s) => `Đã chuyển số ${n} sang ${s}.`,
    returned_msg: (n) => `Đã đưa số ${n} về hàng chờ.`, cancelled_msg: (n) => `Đã hủy số ${n}.`,
    paused_msg: "Quầy đã tạm dừng.", resumed_msg: "Quầy đã tiếp tục phục vụ.",
    open_counter: "Mở quầy", close_counter: "Đóng quầy",
    opened_msg: "Đã mở quầy.", closed_msg: "Đã đóng quầy. Màn hình hiển thị «Đã đóng quầy».",
    bad_token: "Mã đăng nhập không đúng hoặc không dành cho quầy này.", network: "Không kết nối được máy chủ.",
    clerk: "Cán bộ:", handover: "Đổi ca", use_account: "Đăng nhập bằng tài khoản cán bộ",
    expired_title: "Phiên đăng nhập đã kết thúc", relogin: "Đăng nhập lại",
    refused_title: (n) => `Không làm việc được tại quầy số ${n}`,
    not_allowed: (u, n) => `Tài khoản ${u} không được làm việc tại quầy số ${n}.`,
    other_counter: (own, n) => `Bạn đang làm việc tại quầy số ${own}. Để làm việc tại quầy số ${n}, xin đăng nhập lại và chọn quầy đó.`,
    to_own: (n) => `Về quầy số ${n}`, choose_here: "Đăng nhập tại quầy này",
  },
  en: {
    signout: "Sign out", signin_title: "Counter sign-in", signin_label: "Counter sign-in code",
    signin: "Sign in", current: "Current ticket", elapsed: "Since the call:",
    "tstatus.called": "Called, waiting for the citizen", "tstatus.serving": "Being served",
    "cstate.open": "Counter open", "cstate.paused": "Counter paused", "cstate.closed": "Closed for the day",
    next: "Call next", start: "Start serving", recall: "Recall", noshow: "Not present",
    complete: "Complete", transfer: "Transfer field", specific: "Call a number",
    callback: "Call a no-show back", cancelnum: "Cancel a number", pause: "Pause", resume: "Resume",
    transfer_to: "Transfer to field", transfer_go: "Transfer", back: "Back",
    specific_label: "Number to call (A012, a12 or 12)", callback_label: "No-show who came back",
    cancel_label: "Number to cancel", call: "Call", return: "Back to the queue",
    ask_yes: "Yes, not present", ask_no: "No, served",
    ask: (n) => `${n} was never started: mark it not present?`,
    confirm_cancel: (n) => `Press "Cancel a number" (−) again to cancel ${n}.`,
    need_number: "Type the number printed on the slip.",
    waiting: "Waiting", today: "Today at this counter", served: "Served", noshows: "Not present",
    avg: "Average handling time",
    keys: "Keys: Enter next · 0 start · + recall · − not present · * complete · / transfer · . a number (then Enter call, + back to queue, − cancel) · F9 no-show back · F10 cancel · P pause · D open/close the counter",
    called_msg: (n) => `Called ${n}.`, nobody: "Nobody is waiting.",
    started_msg: (n) => `Serving ${n}.`,
    recalled_msg: (n) => `Recalled ${n}.`, done_msg: (n) => `Completed ${n}.`,
    noshow_msg: (n) => `${n}: not present.`, transferred_msg: (n, s) => `Transferred ${n} to ${s}.`,
    returned_msg: (n) => `${n} is back in the queue.`, cancelled_msg: (n) => `Cancelled ${n}.`,
    paused_msg: "Counter paused.", resumed_msg: "Counter resumed.",
    open_counter: "Open counter", close_counter: "Close counter",
    opened_msg: "Counter opened.", closed_msg: "Counter closed for the day; the screens say so.",
    bad_token: "Wrong sign-in code, or not for this counter.", network: "Cannot reach the server.",
    clerk: "Officer:", handover: "Shift change", use_account: "Sign in with a staff account",
    expired_title: "Your session has ended", relogin: "Sign in again",
    refused_title: (n) => `You cannot work at counter ${n}`,
    not_allowed: (u, n) => `Account ${u} may not work at counter ${n}.`,
    other_counter: (own, n) => `You are working at counter ${own}. To work at counter ${n}, sign in again and choose it.`,
    to_own: (n) => `Go to counter ${n}`, choose_here: "Sign in at this counter",
  },
};

const body = document.body;
const lang = body.dataset.lang === "en" ? "en" : "vi";
const t = translator(T, lang);
const site = body.dataset.site;
const number = Number(body.dataset.counter);
const unstarted = body.dataset.unstarted || "ask";
const storeKey = `motcua.clerk.${site}.${number}`;
const $ = (id) => document.getElementById(id);
const state = { counter: null, busy: false, stats: null, signedIn: false, mode: null, armed: null,
  me: null, csrf: null };

for (const node of document.querySelectorAll("[data-i18n]")) {
  const text = t(node.dataset.i18n);
  if (typeof text === "string") node.textContent = text;
}

// ---- sign-in -------------------------------------------------------------
// Signed in with the counter's code: this page's device cookie (named by deviceHeaders()).
let deviceMode = false;
const token = () => deviceMode;
const params = new URLSearchParams(location.search);
const backArgs = new URLSearchParams(location.search);
backArgs.delete("code");
const here = location.pathname + (backArgs.toString() ? `?${backArgs}` : "");
// Back to this console after signing in, this counter preselected.
const loginUrl = (extra = "") =>
  `/login?counter=${number}&next=${encodeURIComponent(here)}${lang === "en" ? "&lang=en" : ""}${extra}`;
const errText = (data) => (data && data.error ? (lang === "en" ? data.error.message_en : data.error.message) : "");

function hideAll() {
  state.signedIn = false;
  delete body.dataset.ready;
  $("main").hidden = true;
  for (const id of ["signout", "handover", "clerk"]) $(id).hidden = true;
  $("signin").hidden = true;
  $("notice").hidden = true;
}

function showSignin(message = "") {
  hideAll();
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("token").focus();
}

// A page-wide notice: the session ended (with the server's words: expired, or handed over),
// or this counter is not the signed-in clerk's.
function showNotice(kind, title, text, action, href) {
  hideAll();
  body.dataset.notice = kind;
  $("notice-title").textContent = title;
  $("notice-text").textContent = text;
  $("notice-go").textContent = action;
  $("notice-go").setAttribute("href", href);
  $("notice").hidden = false;
  $("notice-go").focus();
}

$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const signed = await signInDevice($("token").value.trim()).catch(() => null);
  if (!signed || !signed.ok) {
    showSignin(signed ? errText(signed.data) || t("bad_token") : t("network"));
    return;
  }
  deviceMode = true;
  await enter();
});
$("signout").addEventListener("click", async () => {
  if (token()) { await signOutDevice(); deviceMode = false; showSignin(); return; }
  // Signing out closes the counter (unless it holds a citizen); then the next clerk signs in.
  try { await api("DELETE", "/session"); } catch (_) { /* over already */ }
  location.assign(loginUrl());
});
// Đổi ca: the next clerk signs in here and takes the counter over, open, with its ticket.
$("handover").addEventListener("click", () => location.assign(loginUrl("&switch=1")));

async function api(method, path, payload) {
  const headers = token() ? deviceHeaders({ "Content-Type": "application/json" })
    : { "Content-Type": "application/json" };
  if (!token() && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  const res = await fetch(`/api/v1${path}`, {
    method, headers, credentials: "same-origin",
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const data = await res.json().catch(() => ({}));
  if (token() && (res.status === 401 || res.status === 403)) {
    if (res.status === 401) { deviceMode = false; await signOutDevice(); }
    showSignin(errText(data) || t("bad_token"));
    throw new Error("auth");
  }
  if (!token() && res.status === 401) {
    showNotice("expired", t("expired_title"), errText(data), t("relogin"), loginUrl());
    throw new Error("auth");
  }
  if (!res.ok) throw Object.assign(new Error("api"), { data });
  return data;
}

// Signed in with an account: this counter must be the one the session works at.
async function enterSession() {
  const res = await fetch("/api/v1/me", { credentials: "same-origin" }).catch(() => null);
  if (!res) { showSignin(t("network")); return false; }
  if (res.status === 401 || res.status === 403) {
    // A code an older console kept in localStorage: into this page's cookie, then used.
    const kept = localStorage.getItem(storeKey) !== null;
    await adoptStoredToken(storeKey);
    if (kept) {
      await findDevice();
      if (deviceMode) return true;
    }
    if (params.get("code") === "1") showSignin();
    else location.replace(loginUrl());
    return false;
  }
  const me = await res.json();
  const allowed = me.user.counters;
  if (me.counter !== number && (me.user.role === "clerk" || me.counter !== null)) {
    const notMine = allowed !== null && !allowed.includes(number);
    const text = notMine ? t("not_allowed")(me.user.username, number)
      : me.counter !== null ? t("other_counter")(me.counter, number) : t("other_counter")("—", number);
    const back = notMine && me.counter !== null;
    showNotice("refused", t("refused_title")(number), text,
      back ? t("to_own")(me.counter) : t("choose_here"),
      back ? `/counter/${me.counter}${lang === "en" ? "?lang=en" : ""}` : loginUrl("&switch=1"));
    return false;
  }
  state.me = me;
  state.csrf = me.csrf_token;
  $("clerk-name").textContent = me.user.name || me.user.username;
  $("clerk").hidden = false;
  $("handover").hidden = false;
  return true;
}

// This page's device code, if it has one (a ?token= link, or typed here earlier).
// Its refusal's words when the code is no longer valid (revoked, expired, unknown), else "".
async function findDevice() {
  const res = await fetch("/api/v1/device", { headers: deviceHeaders() }).catch(() => null);
  if (!res) return t("network");
  const data = await res.json().catch(() => ({}));
  if (!res.ok) { await signOutDevice(); return errText(data) || t("bad_token"); }
  deviceMode = data.role !== undefined && data.role !== "counter";
  return "";
}

async function enter() {
  if (!token() && body.dataset.deviceHeld === "1") {
    const refused = await findDevice();
    if (refused) { showSignin(refused); return; }  // a code that no longer works: say so
  }
  if (!token() && !(await enterSession())) return;
  try {
    // The stats call also proves the code is valid for this counter (403 otherwise).
    setStats(await api("GET", `/counters/${number}/stats?site=${encodeURIComponent(site)}`));
  } catch (err) {
    if (err.message !== "auth") showSignin(errText(err.data) || t("network"));
    return;
  }
  $("signin").hidden = true;
  $("notice").hidden = true;
  $("main").hidden = false;
  $("signout").hidden = false;
  if (!token()) { $("clerk").hidden = false; $("handover").hidden = false; }
  state.signedIn = true;
  body.dataset.auth = token() ? "code" : "session";
  markReady();
  refreshWaiting();
}

// Ready: signed in, and the counter's live state (open or paused, current ticket) is known.
function markReady() {
  if (state.signedIn && state.counter) body.dataset.ready = "1";
}

// ---- rendering -------------------------------------------------------------
function toast(kind, text) {
  const box = $("toast");
  box.className = `toast ${kind}`;
  box.textContent = text;
  body.dataset.toast = text;
}

function errorText(err) {
  if (err && err.data && err.data.error) return lang === "en" ? err.data.error.message_en : err.data.error.message;
  return t("network");
}

function render() {
  const c = state.counter;
  if (!c) return;
  const tk = c.ticket;
  $("cur-number").textContent = tk ? tk.number : "—";
  $("cur-field").textContent = tk ? tk.service_name : "";
  $("cur-priority").hidden = !(tk && tk.priority);
  $("cur-status").textContent = tk ? t(`tstatus.${tk.status}`) : "";
  $("cur-status").dataset.status = tk ? tk.status : "";
  const st = $("state");
  const key = counterStateKey(c);  // counter_state.not_opened / open / paused / closed
  const own = t(`cstate.${key.slice("counter_state.".length)}`);  // the console's own words
  st.textContent = own.startsWith("cstate.") ? t(key) : own;
  st.className = `state ${c.state}`;
  $("pause-label").textContent = c.state === "paused" ? t("resume") : t("pause");
  // Closed (not opened yet, or for the day): "Mở quầy"; a call opens it too, so calls stay on.
  $("openclose-label").textContent = c.state === "closed" ? t("open_counter") : t("close_counter");
  $("btn-openclose").dataset.to = c.state === "closed" ? "open" : "close";
  $("btn-pause").disabled = c.state === "closed";
  for (const id of ["btn-recall", "btn-complete", "btn-transfer"]) $(id).disabled = !tk;
  $("btn-noshow").disabled = !tk || tk.status !== "called";
  $("btn-start").disabled = !tk || tk.status !== "called";
  const paused = c.state === "paused";
  for (const id of ["btn-next", "btn-specific", "btn-callback", "specific-go"]) $(id).disabled = paused;
  tickElapsed();
}

function tickElapsed() {
  const tk = state.counter && state.counter.ticket;
  const s = tk && tk.called_at ? (Date.now() - Date.parse(tk.called_at)) / 1000 : 0;
  $("cur-elapsed").textContent = clockText(Math.floor(Math.max(0, s)));
}
setInterval(tickElapsed, 1000);

function setStats(s) {
  state.stats = s;
  $("stat-served").textContent = s.served;
  $("stat-noshow").textContent = s.no_show;
  $("stat-avg").textContent = durationText(s.avg_service_seconds, lang);
}

let waitingTimer = null;
function refreshWaiting() {
  clearTimeout(waitingTimer);
  waitingTimer = setTimeout(async () => {
    try {
      const data = await api("GET", `/counters/${number}/waiting?site=${encodeURIComponent(site)}`);
      $("waiting-count").textContent = data.tickets.length;
      $("waiting-list").replaceChildren(...data.tickets.slice(0, 40).map((tk) =>
        el("li", { dataset: { ticket: tk.number } },
          el("span", { class: "wnum" }, tk.number),
          tk.priority ? el("span", { class: "wprio" }, `★ ${t("priority")}`) : el("span", {}),
          el("span", { class: "wsvc" }, tk.service_name))));
      setStats(await api("GET", `/counters/${number}/stats?site=${encodeURIComponent(site)}`));
    } catch (_) { /* shown on the next action */ }
  }, 250);
}

// ---- actions ---------------------------------------------------------------
const enc = encodeURIComponent;

async function act(kind, extra) {
  if (state.busy) return;
  state.busy = true;
  try {
    const c = state.counter;
    const base = `/counters/${number}`;
    if (kind === "next") {
      const payload = extra ? { unstarted: extra } : {};
      const { ticket } = await api("POST", `${base}/call-next`, payload);
      closePanels();
      if (ticket) { setCurrent(ticket); toast("ok", t("called_msg")(ticket.number)); } else { setCurrent(null); toast("ok", t("nobody")); }
    } else if (kind === "start") {
      const { ticket } = await api("POST", `${base}/start`);
      setCurrent(ticket); toast("ok", t("started_msg")(ticket.number));
    } else if (kind === "recall") {
      const { ticket } = await api("POST", `${base}/recall`);
      toast("ok", t("recalled_msg")(ticket.number));
    } else if (kind === "complete") {
      const { ticket } = await api("POST", `${base}/complete`);
      setCurrent(null); toast("ok", t("done_msg")(ticket.number));
    } else if (kind === "noshow") {
      const { ticket } = await api("POST", `${base}/no-show`);
      setCurrent(null); toast("ok", t("noshow_msg")(ticket.number));
    } else if (kind === "transfer") {
      const sel = $("transfer-select");
      const { ticket } = await api("POST", `${base}/transfer`, { service: sel.value });
      setCurrent(null); closePanels();
      toast("ok", t("transferred_msg")(ticket.number, sel.options[sel.selectedIndex].text));
    } else if (kind === "call") {
      // The server reads what was typed ("4", "a4", "A004"); a no-show comes back.
      const { ticket } = await api("POST", `${base}/call`, { ticket: extra });
      setCurrent(ticket); closePanels(); toast("ok", t("called_msg")(ticket.number));
    } else if (kind === "return" || kind === "cancel") {
      const path = `/tickets/by-number/${enc(extra)}/${kind}?site=${enc(site)}`;
      const { ticket } = await api("POST", path);
      if (sameTicket(c && c.ticket, ticket)) setCurrent(null);
      closePanels();
      toast("ok", t(kind === "return" ? "returned_msg" : "cancelled_msg")(ticket.number));
    } else if (kind === "pause") {
      if (!c) return; // the counter's state is not known yet: pause or resume?
      const paused = c.state === "open";
      const { counter } = await api("POST", `${base}/${paused ? "pause" : "resume"}`);
      applyCounterState(state.counter, counter);
      toast("ok", paused ? t("paused_msg") : t("resumed_msg"));
    } else if (kind === "openclose") {
      if (!c) return;
      // Closing while a ticket is held is refused by the server, with what to do first.
      const opening = c.state === "closed";
      const { counter } = await api("POST", `${base}/${opening ? "open" : "close"}`);
      applyCounterState(state.counter, counter);
      toast("ok", opening ? t("opened_msg") : t("closed_msg"));
    }
    render();
    refreshWaiting();
  } catch (err) {
    if (err.message !== "auth") toast("err", errorText(err));
    // The server refused: what this console shows may be stale (a missed event), so fetch
    // the real state instead of offering the same action again.
    if (err.data) live.resync();
  } finally {
    state.busy = false;
  }
}

function setCurrent(ticket) {
  if (state.counter) state.counter.ticket = ticket;
}

// "Gọi tiếp" on a ticket called but never started: ask once, unless the site decided.
function next() {
  const tk = state.counter && state.counter.ticket;
  if (unstarted === "ask" && tk && tk.status === "called") {
    closePanels();
    $("ask-text").textContent = t("ask")(tk.number);
    $("ask-panel").hidden = false;
    state.mode = "ask";
    $("ask-yes").focus();
    return;
  }
  act("next");
}

function answer(choice) {
  if (state.mode !== "ask") return;
  act("next", choice);
}

function closePanels() {
  for (const id of ["transfer-panel", "specific-panel", "ask-panel"]) $(id).hidden = true;
  state.mode = null;
  state.armed = null;
  $("specific-hint").textContent = "";
}

// One panel for a number typed by the clerk: call it (a no-show comes back), put a no-show
// back in the queue, or cancel it. The mode only says what Enter does and what it is for.
const NUMBER_MODES = {
  call: { label: "specific_label", enter: "call" },
  callback: { label: "callback_label", enter: "call" },
  cancelnum: { label: "cancel_label", enter: "cancel" },
};

function openPanel(kind) {
  closePanels();
  if (kind === "transfer") {
    $("transfer-panel").hidden = false;
    state.mode = "transfer";
    $("transfer-select").focus();
    return;
  }
  const mode = NUMBER_MODES[kind];
  state.mode = kind;
  $("specific-label").textContent = t(mode.label);
  $("specific-panel").hidden = false;
  $("specific-panel").dataset.mode = kind;
  $("specific-go").classList.toggle("primary", mode.enter === "call");
  $("number-cancel").classList.toggle("primary", mode.enter === "cancel");
  $("specific-input").value = "";
  $("specific-input").focus();
}

function typed() {
  return $("specific-input").value.trim();
}

function byNumber(action) {
  const ref = typed();
  if (!ref) { $("specific-hint").textContent = t("need_number"); $("specific-input").focus(); return; }
  if (action === "cancel" && state.armed !== ref.toUpperCase()) {
    // Cancelling cannot be undone: the same key again confirms this very number.
    state.armed = ref.toUpperCase();
    $("specific-hint").textContent = t("confirm_cancel")(ref.toUpperCase());
    $("specific-input").focus();
    return;
  }
  act(action, ref);
}

const OPENS = new Set(["transfer", "specific", "callback", "cancelnum"]);
const PANEL_OF = { specific: "call", callback: "callback", cancelnum: "cancelnum", transfer: "transfer" };

function run(a) {
  if (a === "next") next();
  else if (OPENS.has(a)) openPanel(PANEL_OF[a]);
  else act(a);
}

for (const b of document.querySelectorAll("button[data-action]")) {
  b.addEventListener("click", () => run(b.dataset.action));
}
$("transfer-go").addEventListener("click", () => act("transfer"));
$("transfer-cancel").addEventListener("click", closePanels);
$("specific-go").addEventListener("click", () => byNumber("call"));
$("number-return").addEventListener("click", () => byNumber("return"));
$("number-cancel").addEventListener("click", () => byNumber("cancel"));
$("number-close").addEventListener("click", closePanels);
$("specific-input").addEventListener("input", () => { state.armed = null; $("specific-hint").textContent = ""; });
$("ask-yes").addEventListener("click", () => answer("no_show"));
$("ask-no").addEventListener("click", () => answer("complete"));
$("ask-back").addEventListener("click", closePanels);

// Keyboard shortcuts, so a USB numeric keypad configured as a keyboard works.
const KEYS = { "Enter": "next", "0": "start", "+": "recall", "-": "noshow", "*": "complete", "/": "transfer",
  ".": "specific", "p": "pause", "P": "pause", "F1": "next", "F2": "recall", "F3": "noshow", "F4": "complete",
  "F5": "transfer", "F6": "specific", "F7": "pause", "F8": "start", "F9": "callback", "F10": "cancelnum",
  // A numeric keypad with NumLock off sends Delete for "." and Insert for "0".
  "Delete": "specific", "Decimal": "specific", "Insert": "start", "d": "openclose", "D": "openclose" };

document.addEventListener("keydown", (e) => {
  if ($("main").hidden) return;
  if (e.key === "Escape") { closePanels(); return; }
  if (state.mode === "ask") {
    const choice = { "Enter": "no_show", "-": "no_show", "*": "complete" }[e.key];
    if (choice) { e.preventDefault(); answer(choice); }
    return;
  }
  if (NUMBER_MODES[state.mode]) {
    // "+" and "−" are never part of a printed number: with Enter they pick the action.
    const action = { "Enter": NUMBER_MODES[state.mode].enter, "+": "return", "-": "cancel" }[e.key];
    if (action) { e.preventDefault(); byNumber(action); }
    return;
  }
  if (state.mode === "transfer") {
    if (e.key === "Enter") { e.preventDefault(); act("transfer"); }
    return;
  }
  const a = KEYS[e.key];
  if (!a) return;
  e.preventDefault();
  const btn = document.querySelector(`button[data-action="${a}"]`);
  if (btn && btn.disabled) return;
  run(a);
});

// ---- live state ------------------------------------------------------------
function onSnapshot(snap) {
  state.counter = snap.counters.find((c) => c.number === number) || null;
  render();
  markReady();
  refreshWaiting();
}

function onEvent(name, p) {
  const c = state.counter;
  if (!c) return;
  if (name === EVENTS.COUNTER_STATE && p.counter.number === number) applyCounterState(c, p.counter);
  else if (name === EVENTS.CALLED && p.ticket.counter === number) c.ticket = p.ticket;
  else if (sameTicket(c.ticket, p.ticket)) {
    c.ticket = ["called", "serving"].includes(p.ticket.status) ? p.ticket : null;
  }
  render();
  if (name !== EVENTS.COUNTER_STATE) refreshWaiting();
}

function onStatus(s) {
  $("conn").textContent = t(s);
  $("conn").classList.toggle("offline", s === "offline");
}

const live = new LiveQueue({ site, onSnapshot, onEvent, onStatus });
window.motcuaConsole = { live, state };
live.start();
enter();
