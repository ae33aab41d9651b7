// The hall's loudspeaker: plays each call's audio in call order, never two at once.
//
// Browsers block audio until the page has had a user gesture. A lobby PC in kiosk mode
// starts Chromium with --autoplay-policy=no-user-gesture-required; otherwise the screen
// shows a visible "tap to turn on the sound" banner until someone taps it once.

export class HallSpeaker {
  constructor({ onLocked, onUnlocked, maxQueue = 20 } = {}) {
    this.queue = [];
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
    // item: {id, url}. A backlog older than maxQueue is dropped: calls from minutes ago
    // are no use to anyone, and the screen still shows them.
    this.queue.push(item);
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
    const item = this.queue[0];
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
