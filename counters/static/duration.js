// Durations on staff pages, one formatter: "3 phút 08 giây" in sentences, "03:08" on clocks.

const UNITS = {
  vi: { h: "giờ", m: "phút", s: "giây" },
  en: { h: "h", m: "min", s: "s" },
};

// Whole seconds, never negative; null for what is not a number.
function whole(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return null;
  return Math.max(0, Math.round(Number(seconds)));
}

const two = (n) => String(n).padStart(2, "0");

// "3 phút 08 giây", "45 giây", "1 giờ 02 phút 05 giây" ("3 min 08 s" in English); "—" for none.
export function durationText(seconds, lang = "vi") {
  const s = whole(seconds);
  if (s === null) return "—";
  const u = UNITS[lang] || UNITS.vi;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return `${h} ${u.h} ${two(m)} ${u.m} ${two(rest)} ${u.s}`;
  if (m) return `${m} ${u.m} ${two(rest)} ${u.s}`;
  return `${rest} ${u.s}`;
}

// "03:08" (minutes:seconds), "1:02:05" past an hour; "00:00" for none.
export function clockText(seconds) {
  const s = whole(seconds) ?? 0;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}
