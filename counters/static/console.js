// Clerk console: actions through the API with the counter's token; live state from /display.
import { EVENTS } from "/contract.js";
import { LiveQueue, applyCounterState, counterStateKey, el, rememberToken, sameTicket, translator } from "/static/displays/js/live.js";

// The console's own texts; connection, priority, counter states and statuses are shared labels.
const T = {
  vi: {
    signout: "Đăng xuất", signin_title: "Đăng nhập quầy", signin_label: "Mã đăng nhập của quầy",
    signin: "Đăng nhập", current: "Đang phục vụ", elapsed: "Thời gian",
    next: "Gọi số tiếp theo", recall: "Gọi lại", noshow: "Không có mặt", complete: "Hoàn thành",
    transfer: "Chuyển lĩnh vực", specific: "Gọi số cụ thể", pause: "Tạm dừng", resume: "Tiếp tục",
    transfer_to: "Chuyển sang lĩnh vực", transfer_go: "Chuyển", cancel: "Hủy", specific_label: "Số cần gọi",
    call: "Gọi", waiting: "Đang chờ", today: "Hôm nay", served: "Đã phục vụ", noshows: "Không có mặt",
    avg: "Thời gian xử lý trung bình",
    keys: "Phím tắt: Enter gọi tiếp · + gọi lại · − không có mặt · * hoàn thành · / chuyển · . gọi số cụ thể · P tạm dừng/tiếp tục · D mở/đóng quầy",
    called_msg: (n) => `Đã gọi số ${n}.`, nobody: "Không có công dân nào đang chờ.",
    recalled_msg: (n) => `Đã gọi lại số ${n}.`, done_msg: (n) => `Đã hoàn thành số ${n}.`,
    noshow_msg: (n) => `Số ${n}: không có mặt.`, transferred_msg: (n, s) => `Đã chuyển số ${n} sang ${s}.`,
    paused_msg: "Quầy đã tạm dừng.", resumed_msg: "Quầy đã tiếp tục phục vụ.",
    open_counter: "Mở quầy", close_counter: "Đóng quầy",
    opened_msg: "Đã mở quầy.", closed_msg: "Đã đóng quầy. Màn hình hiển thị «Đã đóng quầy».",
    bad_token: "Mã đăng nhập không đúng hoặc không dành cho quầy này.", network: "Không kết nối được máy chủ.",
  },
  en: {
    signout: "Sign out", signin_title: "Counter sign-in", signin_label: "Counter sign-in code",
    signin: "Sign in", current: "Now serving", elapsed: "Elapsed",
    next: "Call next", recall: "Recall", noshow: "Not present", complete: "Complete",
    transfer: "Transfer field", specific: "Call a number", pause: "Pause", resume: "Resume",
    transfer_to: "Transfer to field", transfer_go: "Transfer", cancel: "Cancel", specific_label: "Number to call",
    call: "Call", waiting: "Waiting", today: "Today", served: "Served", noshows: "Not present",
    avg: "Average handling time",
    keys: "Keys: Enter next · + recall · − not present · * complete · / transfer · . call a number · P pause/resume · D open/close the counter",
    called_msg: (n) => `Called ${n}.`, nobody: "Nobody is waiting.",
    recalled_msg: (n) => `Recalled ${n}.`, done_msg: (n) => `Completed ${n}.`,
    noshow_msg: (n) => `${n}: not present.`, transferred_msg: (n, s) => `Transferred ${n} to ${s}.`,
    paused_msg: "Counter paused.", resumed_msg: "Counter resumed.",
    open_counter: "Open counter", close_counter: "Close counter",
    opened_msg: "Counter opened.", closed_msg: "Counter closed for the day; the screens say so.",
    bad_token: "Wrong sign-in code, or not for this counter.", network: "Cannot reach the server.",
  },
};

const body = document.body;
const lang = body.dataset.lang === "en" ? "en" : "vi";
const t = translator(T, lang);
const site = body.dataset.site;
const number = Number(body.dataset.counter);
const storeKey = `motcua.clerk.${site}.${number}`;
const $ = (id) => document.getElementById(id);
const state = { counter: null, busy: false, stats: null, signedIn: false };

for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);

// ---- sign-in -------------------------------------------------------------
rememberToken(storeKey);
const token = () => localStorage.getItem(storeKey);

function showSignin(message = "") {
  state.signedIn = false;
  delete body.dataset.ready;
  $("main").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("token").focus();
}

$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  localStorage.setItem(storeKey, $("token").value.trim());
  await enter();
});
$("signout").addEventListener("click", () => { localStorage.removeItem(storeKey); showSignin(); });

async function api(method, path, payload) {
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: { "Authorization": `Bearer ${token()}`, "Content-Type": "application/json" },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 || res.status === 403) {
    if (res.status === 401) localStorage.removeItem(storeKey);
    showSignin(data.error ? (lang === "en" ? data.error.message_en : data.error.message) : t("bad_token"));
    throw new Error("auth");
  }
  if (!res.ok) throw Object.assign(new Error("api"), { data });
  return data;
}

async function enter() {
  if (!token()) { showSignin(); return; }
  try {
    // The stats call also proves the code is valid for this counter (403 otherwise).
    setStats(await api("GET", `/counters/${number}/stats?site=${encodeURIComponent(site)}`));
  } catch (err) {
    if (err.message !== "auth") showSignin(t("network"));
    return;
  }
  $("signin").hidden = true;
  $("main").hidden = false;
  $("signout").hidden = false;
  state.signedIn = true;
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
  $("cur-status").textContent = tk ? t(`status.${tk.status}`) : "";
  const st = $("state");
  st.textContent = t(counterStateKey(c));
  st.className = `state ${c.state}`;
  $("pause-label").textContent = c.state === "open" ? t("pause") : t("resume");
  // Closed (not opened yet, or for the day): "Mở quầy"; a call opens it too, so it stays on.
  $("openclose-label").textContent = c.state === "closed" ? t("open_counter") : t("close_counter");
  $("btn-openclose").dataset.to = c.state === "closed" ? "open" : "close";
  $("btn-pause").disabled = c.state === "closed";
  for (const id of ["btn-recall", "btn-noshow", "btn-complete", "btn-transfer"]) $(id).disabled = !tk;
  $("btn-noshow").disabled = !tk || tk.status !== "called";
  $("btn-next").disabled = c.state === "paused";
  $("btn-specific").disabled = c.state === "paused";
  tickElapsed();
}

function tickElapsed() {
  const tk = state.counter && state.counter.ticket;
  if (!tk || !tk.called_at) { $("cur-elapsed").textContent = "00:00"; return; }
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(tk.called_at)) / 1000));
  $("cur-elapsed").textContent = `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}
setInterval(tickElapsed, 1000);

function setStats(s) {
  state.stats = s;
  $("stat-served").textContent = s.served;
  $("stat-noshow").textContent = s.no_show;
  const a = s.avg_service_seconds;
  $("stat-avg").textContent = a == null ? "—" : `${Math.floor(a / 60)}′${String(Math.round(a % 60)).padStart(2, "0")}″`;
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
async function act(kind, extra) {
  if (state.busy) return;
  state.busy = true;
  try {
    const c = state.counter;
    const base = `/counters/${number}`;
    if (kind === "next") {
      const { ticket } = await api("POST", `${base}/call-next`);
      if (ticket) { setCurrent(ticket); toast("ok", t("called_msg")(ticket.number)); } else { setCurrent(null); toast("ok", t("nobody")); }
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
    } else if (kind === "specific") {
      const { ticket } = await api("POST", `${base}/call`, { ticket: extra });
      setCurrent(ticket); closePanels(); toast("ok", t("called_msg")(ticket.number));
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

function closePanels() {
  $("transfer-panel").hidden = true;
  $("specific-panel").hidden = true;
}

function openPanel(kind) {
  closePanels();
  if (kind === "transfer") {
    $("transfer-panel").hidden = false;
    $("transfer-select").focus();
  } else {
    $("specific-panel").hidden = false;
    $("specific-input").value = "";
    $("specific-input").focus();
  }
}

for (const b of document.querySelectorAll("button[data-action]")) {
  b.addEventListener("click", () => {
    const a = b.dataset.action;
    if (a === "transfer" || a === "specific") openPanel(a); else act(a);
  });
}
$("transfer-go").addEventListener("click", () => act("transfer"));
$("transfer-cancel").addEventListener("click", closePanels);
$("specific-go").addEventListener("click", () => act("specific", $("specific-input").value.trim()));
$("specific-cancel").addEventListener("click", closePanels);

// Keyboard shortcuts, so a USB numeric keypad configured as a keyboard works.
document.addEventListener("keydown", (e) => {
  if ($("main").hidden) return;
  const inSpecific = document.activeElement === $("specific-input");
  const inTransfer = document.activeElement === $("transfer-select");
  if (e.key === "Escape") { closePanels(); return; }
  if (inSpecific) {
    if (e.key === "Enter") { e.preventDefault(); act("specific", $("specific-input").value.trim()); }
    return;
  }
  if (inTransfer) {
    if (e.key === "Enter") { e.preventDefault(); act("transfer"); }
    return;
  }
  const map = { "Enter": "next", "+": "recall", "-": "noshow", "*": "complete", "/": "transfer", ".": "specific",
    "p": "pause", "P": "pause", "F1": "next", "F2": "recall", "F3": "noshow", "F4": "complete", "F5": "transfer",
    "F6": "specific", "F7": "pause", "d": "openclose", "D": "openclose", "F8": "openclose",
    // A numeric keypad with NumLock off sends Delete for "." and Insert for "0".
    "Delete": "specific", "Decimal": "specific" };
  const a = map[e.key];
  if (!a) return;
  e.preventDefault();
  const btn = document.querySelector(`button[data-action="${a}"]`);
  if (btn && btn.disabled) return;
  if (a === "transfer" || a === "specific") openPanel(a); else act(a);
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
