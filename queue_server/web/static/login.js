// Staff sign-in (/login): username and password, then the counter to work at, or a
// hand-over ("Đổi ca") of a counter open with another clerk. Everything through the API;
// texts set with textContent only.
import { el, translator } from "/static/displays/js/live.js";

const T = {
  vi: {
    app: "Hệ thống xếp hàng MộtCửa", title: "Đăng nhập cán bộ", username: "Tên đăng nhập",
    password: "Mật khẩu", signin: "Đăng nhập", for_counter: "Làm việc tại",
    pick_title: "Chọn quầy làm việc", handover_title: "Đổi ca", handover_go: "Đổi ca — nhận quầy",
    back: "Thôi", use_code: "Dùng mã quầy",
    hello: (name) => `Xin chào ${name}. Chọn quầy bạn làm việc hôm nay.`,
    open_with: (name) => `Đang mở với ${name}`,
    need_both: "Vui lòng nhập tên đăng nhập và mật khẩu.",
    no_counters: "Tài khoản này chưa được giao quầy nào. Xin liên hệ giám sát.",
    network: "Không kết nối được máy chủ. Xin thử lại.",
    wait: "Đang đăng nhập…",
  },
  en: {
    app: "MộtCửa Queue", title: "Staff sign-in", username: "Username", password: "Password",
    signin: "Sign in", for_counter: "Working at", pick_title: "Choose your counter",
    handover_title: "Shift change (Đổi ca)", handover_go: "Take over the counter", back: "Back",
    use_code: "Use the counter's code",
    hello: (name) => `Hello ${name}. Choose the counter you work at today.`,
    open_with: (name) => `Open with ${name}`,
    need_both: "Enter your username and password.",
    no_counters: "This account has no counter yet. Ask a supervisor.",
    network: "Cannot reach the server. Try again.",
    wait: "Signing in…",
  },
};

const body = document.body;
const lang = body.dataset.lang === "en" ? "en" : "vi";
const t = translator(T, lang);
const site = body.dataset.site;
const next = body.dataset.next || "";
const preselect = body.dataset.counter ? Number(body.dataset.counter) : null;
const staffHome = body.dataset.staffHome || "/admin";
const $ = (id) => document.getElementById(id);
const state = { user: null, csrf: null, retry: null };

for (const node of document.querySelectorAll("[data-i18n]")) {
  const text = t(node.dataset.i18n);
  if (typeof text === "string") node.textContent = text;
}

function message(data) {
  const e = data && data.error;
  if (!e) return t("network");
  return lang === "en" ? e.message_en : e.message;
}

async function call(method, path, payload) {
  const headers = { "Content-Type": "application/json" };
  if (state.csrf) headers["X-CSRF-Token"] = state.csrf;
  try {
    const res = await fetch(`/api/v1${path}`, {
      method, headers, credentials: "same-origin",
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const data = await res.json().catch(() => ({}));
    return { res, data };
  } catch (_) {
    return { res: { ok: false, status: 0 }, data: {} };
  }
}

// Where to go once the counter is known: ?next= (a console of another counter goes to the
// chosen one's), else the chosen counter's console.
function go(counter) {
  let target = next;
  const console = /^\/counter\/(\d+)/.exec(target);
  if (counter !== null && (!target || (console && Number(console[1]) !== counter))) {
    target = `/counter/${counter}${lang === "en" ? "?lang=en" : ""}`;
  }
  body.dataset.done = target || staffHome;
  location.assign(target || staffHome);
}

function busy(on) {
  $("login-go").disabled = on;
  $("login-go").textContent = on ? t("wait") : t("signin");
}

function showHandover(text, retry) {
  state.retry = retry;
  $("handover-text").textContent = text;
  $("handover").hidden = false;
  $("handover-go").focus();
}

function hideHandover() {
  $("handover").hidden = true;
  state.retry = null;
}

async function signIn(payload, note = "") {
  busy(true);
  const { res, data } = await call("POST", "/session", payload);
  busy(false);
  if (res.ok) {
    state.csrf = data.csrf_token;
    state.user = data.user;
    hideHandover();
    if (data.counter !== null) go(data.counter);
    else if (data.user.role === "admin" || data.user.role === "supervisor") go(null);
    else showPicker(note);
    return;
  }
  const code = data.error && data.error.code;
  if (code === "counter_taken") {
    showHandover(message(data), () => signIn({ ...payload, handover: true }));
  } else if (code === "counter_not_allowed" && payload.counter !== undefined) {
    // Not one of theirs: sign in without it and let them pick among their own.
    const { counter, ...rest } = payload;
    signIn(rest, message(data));
  } else {
    $("login-error").textContent = message(data);
    $("password").select();
    $("password").focus();
  }
}

$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    $("login-error").textContent = t("need_both");
    (username ? $("password") : $("username")).focus();
    return;
  }
  const payload = { username, password };
  if (preselect !== null) payload.counter = preselect;
  signIn(payload);
});

$("handover-go").addEventListener("click", () => { if (state.retry) state.retry(); });
$("handover-back").addEventListener("click", () => {
  hideHandover();
  if (!$("pick").hidden) $("pick-list").querySelector("button")?.focus();
  else $("username").focus();
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !$("handover").hidden) $("handover-back").click();
});

async function showPicker(note) {
  $("login-form").hidden = true;
  $("pick").hidden = false;
  $("pick-who").textContent = t("hello")(state.user.name || state.user.username);
  $("pick-error").textContent = note || "";
  // The counters of the person's own site (an all-sites admin: the page's).
  const own = state.user.site && state.user.site !== "*" ? state.user.site : site;
  const { res, data } = await call("GET", `/queue?site=${encodeURIComponent(own)}`);
  if (!res.ok) { $("pick-error").textContent = message(data); return; }
  const allowed = state.user.counters;
  const mine = data.counters.filter((c) => allowed === null || allowed.includes(c.number));
  if (!mine.length) { $("pick-error").textContent = t("no_counters"); return; }
  const buttons = mine.map((c) => {
    const taken = c.clerk && c.state !== "closed" && c.clerk.username !== state.user.username;
    const b = el("button", { type: "button", class: `pick${taken ? " taken" : ""}${c.number === preselect ? " preselected" : ""}`,
      dataset: { counter: String(c.number) } },
      el("span", { class: "pick-name" }, c.name),
      el("span", { class: "pick-state" }, taken ? t("open_with")(c.clerk.name) : c.state_text));
    b.addEventListener("click", () => choose(c.number, false));
    return b;
  });
  $("pick-list").replaceChildren(...buttons);
  const first = buttons.find((b) => Number(b.dataset.counter) === preselect) || buttons[0];
  first.focus();
  body.dataset.picking = "1";
}

async function choose(counter, handover) {
  $("pick-error").textContent = "";
  const { res, data } = await call("POST", "/session/counter", { counter, handover });
  if (res.ok) { hideHandover(); go(counter); return; }
  if (data.error && data.error.code === "counter_taken") {
    showHandover(message(data), () => choose(counter, true));
  } else {
    $("pick-error").textContent = message(data);
  }
}

body.dataset.ready = "1";
