// /admin/queue: a supervisor's corrections — a ticket by its number (Hủy số, Gọi lại số
// vắng) and, per counter, today's fields and closing one left open.
import { api, el, failed, say, signedIn, t } from "./staff.js";

const site = document.body.dataset.site;
const rows = document.getElementById("rows");
const byNumber = document.getElementById("by-number");
const policyOptions = document.getElementById("policy-options");

byNumber.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const action = ev.submitter ? ev.submitter.value : "cancel";
  const number = document.getElementById("q-number").value.trim();
  if (!number) return;
  try {
    const data = await api("POST", `/tickets/by-number/${encodeURIComponent(number)}/${action}?site=${encodeURIComponent(site)}`, {});
    say(t("staff.ticket_done", { number: data.ticket.number, status: t(`status.${data.ticket.status}`) }));
    await load();
  } catch (err) {
    failed(err);
  }
});

function row(c) {
  const fields = el("input", { value: (c.services || []).join(", "), "aria-label": t("staff.fields_today"), size: 14 });
  const policy = el("select", { "aria-label": t("staff.policy") }, el("option", { value: "" }, "—"));
  policy.append(policyOptions.content.cloneNode(true));
  const change = el("button", { type: "button", onclick: async () => {
    const body = { services: fields.value.split(/[,\s]+/).filter(Boolean).map((s) => s.toUpperCase()) };
    if (policy.value) body.policy = policy.value;
    try {
      await api("PUT", `/counters/${c.number}/services?site=${encodeURIComponent(site)}`, body);
      say(t("staff.saved"));
      await load();
    } catch (err) {
      failed(err);
    }
  } }, t("staff.change_fields"));
  const close = el("button", { type: "button", class: "danger", onclick: async () => {
    if (!window.confirm(t("staff.force_close_confirm", { n: c.number }))) return;
    try {
      await api("POST", `/counters/${c.number}/force-close?site=${encodeURIComponent(site)}`, {});
      say(t("staff.saved"));
      await load();
    } catch (err) {
      failed(err);
    }
  } }, t("staff.force_close"));
  const state = c.state === "closed" && !c.opened_today ? "not_opened" : c.state;
  return el("tr", { "data-counter": c.number },
    el("td", {}, c.name, c.ticket ? el("div", { class: "muted" }, c.ticket.number) : null),
    el("td", {}, el("span", { class: `pill ${c.state}` }, t(`counter_state.${state}`))),
    el("td", {}, fields), el("td", {}, policy), el("td", { class: "actions" }, change, close));
}

async function load() {
  try {
    const snap = await api("GET", `/queue?site=${encodeURIComponent(site)}`);
    rows.replaceChildren(...snap.counters.map(row));
  } catch (err) {
    failed(err);
  }
}

if (await signedIn(["admin", "supervisor"])) await load();
