// The staff's admin pages: texts, the signed-in person, API calls with the session's
// CSRF token, and nodes built with textContent only (names typed by people are text).

export const TEXTS = JSON.parse(document.body.dataset.texts);
export const LANG = document.body.dataset.lang;
const STATUS = document.getElementById("status");
let csrf = "";

export function t(code, params = {}) {
  let text = TEXTS[code] ?? code;
  for (const [k, v] of Object.entries(params)) text = text.split(`{${k}}`).join(String(v));
  return text;
}

// el("td", {class: "x"}, "text", child) — attributes set one by one, children as text.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function say(text, ok = true) {
  STATUS.textContent = text;
  STATUS.className = ok ? "status-line ok" : "status-line bad";
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(LANG === "en" ? error.message_en || error.message || String(status) : error.message || String(status));
    this.status = status;
    this.code = error.code;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  const resp = await fetch(`/api/v1${path}`, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

export function failed(err) {
  say(t("staff.failed", { message: err.message }), false);
}

// Who is signed in; shows the sign-in note (401) or the refusal (a role not in `roles`).
export async function signedIn(roles) {
  let me;
  try {
    me = await api("GET", "/me");
  } catch (err) {
    document.getElementById(err.status === 403 ? "forbidden" : "signin").hidden = false;
    return null;
  }
  csrf = me.csrf_token;
  const user = me.user;
  document.getElementById("who").textContent = t("staff.signed_in_as", {
    name: user.name || user.username, role: t(`role.${user.role}`),
  });
  if (!roles.includes(user.role)) {
    document.getElementById("forbidden").hidden = false;
    return null;
  }
  document.getElementById("content").hidden = false;
  return user;
}

// "2026-11-26T09:05:00+07:00" as "26/11/2026 09:05:00": the site's own time, as sent.
export function localTime(iso) {
  const [day, rest] = iso.split("T");
  const [y, m, d] = day.split("-");
  return `${d}/${m}/${y} ${rest.slice(0, 8)}`;
}

export function counterList(text) {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  return parts.map((p) => Number.parseInt(p, 10)).filter((n) => Number.isInteger(n) && n > 0);
}
