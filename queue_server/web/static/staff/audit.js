// /admin/audit: the audit log with filters, older pages and the CSV export.
import { TEXTS, api, el, failed, localTime, say, signedIn, t } from "./staff.js";

const form = document.getElementById("filters");
const rows = document.getElementById("rows");
const more = document.getElementById("more");
const empty = document.getElementById("empty");
const exportLink = document.getElementById("export");
let cursor = null;

function filters() {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (String(v).trim()) params.set(k, String(v).trim());
  return params;
}

// Keys of before/after and how their values read (codes of the message catalogue).
const KEYS = {
  name: "staff.name", role: "staff.role", site: "staff.site", username: "staff.username",
  counters: "staff.counters", counter: "staff.counter", state: "staff.state",
  services: "staff.fields_today", policy: "staff.policy",
};
const VALUES = {
  role: (v) => t(`role.${v}`), state: (v) => t(`counter_state.${v}`),
  status: (v) => t(`status.${v}`), policy: (v) => t(`staff.policy.${v}`),
  password: (v) => (v === "reset" ? t("staff.password_reset") : String(v)),
};

function keyText(key) {
  return t(KEYS[key] || `staff.key.${key}`).replace(/^staff\.key\./, "");
}

function shown(key, value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return t(value ? "staff.yes" : "staff.no");
  if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
  if (typeof value === "object") {  // a ticket: "A0003 (Đang chờ, Quầy 1)"
    if ("number" in value) {
      const parts = [VALUES.status(value.status)];
      if (value.counter) parts.push(`${t("staff.counter")} ${value.counter}`);
      return `${value.number} (${parts.join(", ")})`;
    }
    return JSON.stringify(value);
  }
  return VALUES[key] ? VALUES[key](value) : String(value);
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

// Before → after, changed keys only (whole values when they are not objects).
function change(before, after) {
  const box = el("div", { class: "change" });
  const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObj(before) && !isObj(after)) {
    box.append(el("span", { class: "was" }, shown("", before)), " → ",
      el("span", { class: "now" }, shown("", after)));
    return box;
  }
  const b = isObj(before) ? before : {};
  const a = isObj(after) ? after : {};
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (same(b[key], a[key])) continue;
    const line = el("div", { "data-key": key }, el("span", { class: "key" }, `${keyText(key)}: `));
    if (isObj(before)) line.append(el("span", { class: "was" }, shown(key, b[key])), " → ");
    line.append(el("span", { class: "now" }, shown(key, a[key])));
    box.append(line);
  }
  return box;
}

function row(e) {
  return el("tr", { "data-id": e.id },
    el("td", { class: "when" }, localTime(e.at)),
    el("td", {}, e.actor, el("div", { class: "muted" }, TEXTS[`role.${e.role}`] ?? e.role)),
    el("td", { class: "addr" }, e.address || "—"),
    el("td", { title: e.action }, t(`audit.${e.action}`)),
    el("td", { class: "target" }, e.target),
    el("td", {}, change(e.before, e.after)));
}

async function load(fresh) {
  const params = filters();
  exportLink.href = `/api/v1/audit.csv?${params}`;
  if (!fresh && cursor) params.set("before_id", cursor);
  params.set("limit", "50");
  say(t("staff.loading"));
  try {
    const page = await api("GET", `/audit?${params}`);
    if (fresh) rows.replaceChildren();
    for (const e of page.entries) rows.append(row(e));
    cursor = page.next_before_id;
    more.hidden = cursor === null;
    empty.hidden = rows.children.length > 0;
    say("");
  } catch (err) {
    failed(err);
  }
}

form.addEventListener("submit", (ev) => { ev.preventDefault(); load(true); });
more.addEventListener("click", () => load(false));

if (await signedIn(["admin", "supervisor"])) await load(true);
