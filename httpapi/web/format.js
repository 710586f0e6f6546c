// Money and times as the dashboard shows them. Money arrives as yuan
// strings ("5120000.00") and is parsed into BigInt fen for any sum or
// difference shown; Number() is used only for the ratios that size bars.
// Times are shown in Beijing time, whatever the browser's zone.
// parseFen reads a yuan string into BigInt fen, or null.
export function parseFen(value) {
  if (value === undefined || value === null || value === "") return 0n;
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(value).trim());
  if (!match) return null;
  const fen = BigInt(match[2]) * 100n + BigInt((match[3] || "").padEnd(2, "0"));
  return match[1] ? -fen : fen;
}

export function groupDigits(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export function formatFen(fen) {
  const negative = fen < 0n;
  const absolute = negative ? -fen : fen;
  const cents = (absolute % 100n).toString().padStart(2, "0");
  return (negative ? "-" : "") + "¥" + groupDigits((absolute / 100n).toString()) + "." + cents;
}

export function formatYuan(value) {
  const fen = parseFen(value);
  return fen === null ? String(value) : formatFen(fen);
}

export function fenOf(figures, field) {
  return (figures && parseFen(figures[field])) || 0n;
}

export function formatCount(value) {
  const number = Number(value || 0);
  return Number.isFinite(number) ? groupDigits(String(Math.trunc(number))) : String(value);
}

export function ratio(part, whole) {
  if (whole <= 0n || part <= 0n) return 0;
  return Math.min(1, Number(part) / Number(whole));
}

// ---------------------------------------------------------------- times

// Times are shown in Beijing time, the federation's time, whatever the
// browser's zone.
export function formatTime(value) {
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) return String(value || "");
  const beijing = new Date(instant.getTime() + 8 * 3600 * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return beijing.getUTCFullYear() + "-" + pad(beijing.getUTCMonth() + 1) + "-" + pad(beijing.getUTCDate()) +
    " " + pad(beijing.getUTCHours()) + ":" + pad(beijing.getUTCMinutes());
}

export function beijingNowLocalInput() {
  const beijing = new Date(Date.now() + 8 * 3600 * 1000);
  return beijing.toISOString().slice(0, 16);
}

export function clockTime() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
}
