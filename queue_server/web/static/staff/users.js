// /admin/users: the accounts of the site; an admin creates, edits, resets, locks and
// unlocks them, a supervisor unlocks.
import { api, counterList, el, failed, say, signedIn, t } from "./staff.js";

const rows = document.getElementById("rows");
const editor = document.getElementById("editor");
const creator = document.getElementById("creator");
let me = null;
let editing = null;

function counters(u) {
  return u.counters === null ? t("staff.all_counters") : u.counters.join(", ");
}

function button(text, onclick, cls = "") {
  return el("button", { type: "button", class: cls, onclick }, text);
}

async function act(username, what, body = {}) {
  try {
    await api("POST", `/users/${encodeURIComponent(username)}/${what}`, body);
    say(t("staff.saved"));
    await load();
  } catch (err) {
    failed(err);
  }
}

function row(u) {
  const actions = el("td", { class: "actions" });
  if (me.role === "admin") {
    actions.append(button(t("staff.edit"), () => edit(u)));
    if (u.state === "locked") actions.append(button(t("staff.unlock"), () => act(u.username, "unlock")));
    else if (u.username !== me.username) actions.append(button(t("staff.lock"), () => act(u.username, "lock"), "danger"));
  } else if (u.state === "locked") {
    actions.append(button(t("staff.unlock"), () => act(u.username, "unlock")));
  }
  return el("tr", { "data-username": u.username },
    el("td", { class: "uname" }, u.username),
    el("td", { class: "fullname" }, u.name),
    el("td", {}, t(`role.${u.role}`)),
    el("td", {}, u.site === "*" ? t("staff.all_sites") : u.site),
    el("td", {}, counters(u)),
    el("td", {}, el("span", { class: `pill ${u.state}` }, t(`user_state.${u.state}`))),
    actions);
}

function edit(u) {
  editing = u.username;
  document.getElementById("editor-title").textContent = `${t("staff.edit")}: ${u.username}`;
  document.getElementById("e-name").value = u.name;
  document.getElementById("e-role").value = u.role;
  document.getElementById("e-counters").value = u.counters ? u.counters.join(", ") : "";
  document.getElementById("e-active").checked = u.state !== "inactive";
  document.getElementById("p-password").value = "";
  editor.hidden = false;
  document.getElementById("e-name").focus();
}

async function load() {
  try {
    const data = await api("GET", "/users");
    rows.replaceChildren(...data.users.map(row));
  } catch (err) {
    failed(err);
  }
}

document.getElementById("edit-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const role = document.getElementById("e-role").value;
  const body = {
    name: document.getElementById("e-name").value,
    role,
    active: document.getElementById("e-active").checked,
  };
  if (role === "clerk") body.counters = counterList(document.getElementById("e-counters").value);
  try {
    await api("PATCH", `/users/${encodeURIComponent(editing)}`, body);
    editor.hidden = true;
    say(t("staff.saved"));
    await load();
  } catch (err) {
    failed(err);
  }
});
document.getElementById("password-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const field = document.getElementById("p-password");
  await act(editing, "password", { password: field.value });
  field.value = "";
});
editor.querySelector(".close-form").addEventListener("click", () => { editor.hidden = true; });

document.getElementById("create-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const role = document.getElementById("c-role").value;
  const body = {
    username: document.getElementById("c-username").value.trim(),
    name: document.getElementById("c-name").value,
    role,
    site: document.getElementById("c-site").value,
    password: document.getElementById("c-password").value,
  };
  const listed = counterList(document.getElementById("c-counters").value);
  if (role === "clerk" && listed.length) body.counters = listed;
  try {
    await api("POST", "/users", body);
    ev.target.reset();
    say(t("staff.saved"));
    await load();
  } catch (err) {
    failed(err);
  }
});

me = await signedIn(["admin", "supervisor"]);
if (me) {
  creator.hidden = me.role !== "admin";
  if (me.site !== "*") {
    const site = document.getElementById("c-site");
    site.value = me.site;
    site.disabled = true;
  }
  await load();
}
