// The hall's loudspeaker: plays each call's audio at its slot, in slot order, never two at once.
//
// The server books each call a slot in the site's announcement queue (`announce_at`,
// `announce_ms`); the lobby gives each item its start on this browser's clock. An item is
// not played before its slot; one whose next item's slot has already begun is skipped (the
// screens have moved on), so a speaker that fell behind catches up instead of lagging.
//
// Browsers block audio until the page has had a user gesture. A lobby PC in kiosk mode
// starts Chromium with --autoplay-policy=no-user-gesture-required; otherwise the screen
// shows a visible "tap to turn on the sound" banner until someone taps it once.

export class HallSpeaker {
  constructor({ onLocked, onUnlocked, maxQueue = 20 } = {}) {
    this.queue = [];
    this.known = new Set(); // ids queued or played: a snapshot repeats what events brought
    this.timer = null;
    this.playing = false;
    this.locked = false;
    this.onLocked = onLocked || (() => {});
    this.onUnlocked = onUnlocked || (() => {});
    this.maxQueue = maxQueue;
    this.audio = new Audio();
    this.audio.preload = "auto";
    this.log = []; // {id, kind: "start"|"end"|"error", at} for tests and diagnostics
  }

  enqueue(item) {
    // item: {id, url, at}: `at` in Date.now() ms, when its slot starts (absent: at once).
    // A backlog older than maxQueue is dropped: calls from minutes ago are no use to
    // anyone, and the screen still shows them.
    if (this.known.has(item.id)) return;
    this.known.add(item.id);
    if (this.known.size > 500) this.known = new Set([...this.known].slice(-200));
    const entry = { ...item, at: item.at ?? Date.now() };
    const i = this.queue.findIndex((q, k) => k > 0 && q.at > entry.at);
    if (i < 0) this.queue.push(entry); else this.queue.splice(i, 0, entry);
    if (this.queue.length > this.maxQueue) this.queue.splice(0, this.queue.length - this.maxQueue);
    this.next();
  }

  unlock() {
    this.locked = false;
    this.onUnlocked();
    this.next();
  }

  record(id, kind) {
    this.log.push({ id, kind, at: performance.now() });
    if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
    window.dispatchEvent(new CustomEvent("motcua:audio", { detail: { id, kind } }));
  }

  async next() {
    if (this.playing || this.locked || !this.queue.length) return;
    const now = Date.now();
    while (this.queue.length > 1 && this.queue[1].at <= now) {
      this.record(this.queue.shift().id, "skipped");
    }
    const item = this.queue[0];
    if (item.at > now) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.next(), item.at - now);
      return;
    }
    this.playing = true;
    const done = (kind) => {
      this.audio.onended = this.audio.onerror = null;
      this.record(item.id, kind);
      this.queue.shift();
      this.playing = false;
      this.next();
    };
    this.audio.onended = () => done("end");
    this.audio.onerror = () => done("error");
    this.audio.src = item.url;
    try {
      await this.audio.play();
      this.record(item.id, "start");
    } catch (err) {
      this.audio.onended = this.audio.onerror = null;
      this.playing = false;
      if (err && err.name === "NotAllowedError") {
        this.locked = true; // keep the item; play it once someone taps
        this.onLocked();
      } else {
        done("error");
      }
    }
  }
}
