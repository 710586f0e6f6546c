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

// ---------------------------------------------------------------- typed amounts

// AMOUNT_FEN_MAX is domain.AmountFenMax: one amount is at most a hundred
// billion yuan.
const AMOUNT_FEN_MAX = 10000000000000n;
// INT64_MAX is the largest whole number of fen the ledger holds.
const INT64_MAX = 9223372036854775807n;

// GO_SPACE is what Go's strings.TrimSpace trims (unicode.IsSpace), which
// is not quite what String.prototype.trim does: it trims U+0085 and not
// U+FEFF.
const GO_SPACE = "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const GO_TRIM = new RegExp("^" + GO_SPACE + "+|" + GO_SPACE + "+$", "g");

function goTrim(text) {
  return text.replace(GO_TRIM, "");
}

// YUAN_SIGNS are domain's yuanSigns: the full-width ￥ and ¥.
const YUAN_SIGNS = ["￥", "¥"];

// withoutThousands is domain.WithoutThousands: the thousands separators
// of a number taken out, or null where one is misplaced (anywhere but
// between groups of three digits of the whole part).
export function withoutThousands(text) {
  const point = text.indexOf(".");
  const whole = point < 0 ? text : text.slice(0, point);
  const fraction = point < 0 ? "" : text.slice(point + 1);
  const groups = whole.split(",");
  for (let i = 0; i < groups.length; i++) {
    // Counted in characters (code points), as Go counts runes.
    const length = [...groups[i]].length;
    if ((i === 0 && (length === 0 || length > 3)) || (i > 0 && length !== 3)) return null;
  }
  if (fraction.includes(",")) return null;
  return groups.join("") + (point < 0 ? "" : "." + fraction);
}

// parseYuanTyped reads an amount of yuan as a clerk types it, by the one
// rule of every front end (domain.ParseYuanTyped, in Go; a test feeds the
// same texts to both and requires the same answers): "1250.50",
// "1,250.50", "￥1,250.50", "¥ 300". It answers { fen } (a BigInt; a
// minus before the sign is read, for the ledger to refuse by its own
// rule) or { error }: "misplaced_thousands" ("12,50" is never 1250),
// "too_many_decimals", "too_large" or "not_yuan".
export function parseYuanTyped(text) {
  let s = goTrim(String(text));
  let negative = false;
  if (s.startsWith("-")) {
    negative = true;
    s = s.slice(1);
  }
  for (const sign of YUAN_SIGNS) {
    if (s.startsWith(sign)) {
      s = goTrim(s.slice(sign.length));
      break;
    }
  }
  if (s.includes(",")) {
    s = withoutThousands(s);
    if (s === null) return { error: "misplaced_thousands" };
  }
  if (s.startsWith("-")) return { error: "not_yuan" };
  const point = s.indexOf(".");
  const whole = point < 0 ? s : s.slice(0, point);
  const fraction = point < 0 ? "" : s.slice(point + 1);
  if (whole === "" || (point >= 0 && fraction === "") || !/^[0-9]*$/.test(whole) || !/^[0-9]*$/.test(fraction)) {
    return { error: "not_yuan" };
  }
  if (fraction.length > 2) return { error: "too_many_decimals" };
  const yuan = BigInt(whole);
  if (yuan > INT64_MAX / 100n - 1n) return { error: "too_large" };
  const fen = yuan * 100n + BigInt(fraction.padEnd(2, "0"));
  if (fen > AMOUNT_FEN_MAX) return { error: "too_large" };
  return { fen: negative ? -fen : fen };
}

// yuanText is an amount of fen as the API's canonical yuan string
// ("1250.50", "-5.00").
export function yuanText(fen) {
  const negative = fen < 0n;
  const absolute = negative ? -fen : fen;
  return (negative ? "-" : "") + (absolute / 100n).toString() + "." + (absolute % 100n).toString().padStart(2, "0");
}
