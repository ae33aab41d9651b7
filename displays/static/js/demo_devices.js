// The demo's virtual keypads and LED boards: buttons send key frames on the simulated
// keypad line; the boards show what the device agent last wrote on the LED line.

const conn = document.getElementById("conn");
const shown = {};

function setConn(state) {
  const text = {
    ok: ["Thiết bị đã kết nối máy chủ", "agent connected"],
    agent: ["Thiết bị chưa kết nối máy chủ", "agent not connected"],
    off: ["Thiết bị mô phỏng không chạy", "simulated devices not running"],
    down: ["Mất kết nối máy chủ", "server unreachable"],
  }[state];
  conn.replaceChildren(text[0], Object.assign(document.createElement("small"), { textContent: text[1] }));
  conn.classList.toggle("offline", state !== "ok");
}

function showLed(counter, text) {
  const node = document.getElementById(`led-${counter}`);
  if (!node || shown[counter] === text) return;
  const first = !(counter in shown);
  shown[counter] = text;
  node.textContent = text === null ? "····" : text === "" ? "\u00a0" : text;
  node.classList.toggle("unknown", text === null);
  node.classList.toggle("paused", text === "--");
  if (!first) {
    const board = node.parentElement;
    board.classList.remove("flash");
    void board.offsetWidth; // restart the animation
    board.classList.add("flash");
  }
}

async function poll() {
  try {
    const res = await fetch("/demo/devices/state", { cache: "no-store" });
    const state = await res.json();
    setConn(!state.running ? "off" : state.connected ? "ok" : "agent");
    for (const [counter, text] of Object.entries(state.leds || {})) showLed(counter, text);
  } catch {
    setConn("down");
  }
  setTimeout(poll, 500);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-key]");
  if (!button) return;
  const counter = button.closest("[data-counter]").dataset.counter;
  const sent = document.getElementById(`sent-${counter}`);
  try {
    const res = await fetch(`/demo/devices/${counter}/press`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key: button.dataset.key }),
    });
    const body = await res.json();
    if (res.ok) sent.textContent = `→ ${body.frame}`;
    else if (body.message) sent.textContent = `${body.message} / ${body.message_en}`;
    else sent.textContent = `lỗi / error: ${body.error}`;
  } catch {
    sent.textContent = "lỗi mạng / network error";
  }
});

poll();
