/**
 * The replicated syntax of event values: dates, wall-clock times, zone names and RRULE text.
 * Every vault runs these on every batch (index.ts check), so they are plain regexes and integer
 * arithmetic: no Intl, no tz database, no library whose leniency may differ between releases.
 * Whether a zone name is known to this runtime's tz database is decided only when reading
 * (agenda.ts): an unknown zone is read as UTC with a warning, never a reason to refuse a batch.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;
/** "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC". */
const ZONE = /^[A-Za-z][A-Za-z0-9_+-]{0,30}(?:\/[A-Za-z0-9_+-]{1,30}){0,2}$/;

export const leapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
export const daysInMonth = (y: number, m: number): number => (m === 2 ? (leapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

/** Year, month, day, hour, minute, second of a date ("2026-03-30", midnight) or wall time. */
export type Parts = readonly [number, number, number, number, number, number];

/**
 * The first year a date may name. Date.UTC, `new Date(y, …)` and rrule (which builds its dates
 * with Date.UTC) read the years 0–99 as 1900–1999, so an event in 0050 would expand in 1950; a
 * calendar has no use for the first millennium, so every date before 1000 is refused alike (check,
 * commands, import) and every Date.UTC here is given a year it reads right.
 */
export const MIN_YEAR = 1000;

/** A date or wall time whose year is before MIN_YEAR ("0050-01-01"): refused with its own reason. */
export const beforeMinYear = (s: string): boolean => /^\d{4}(?:-|\d{4}(?:T|$))/.test(s) && Number(s.slice(0, 4)) < MIN_YEAR;
export const EARLY_REASON = `is before the year ${MIN_YEAR} (not supported)`;

function dateOk(y: number, m: number, d: number): boolean {
  return y >= MIN_YEAR && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

export function parseDate(s: string): Parts | undefined {
  const m = DATE.exec(s);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return dateOk(y, mo, d) ? [y, mo, d, 0, 0, 0] : undefined;
}

export function parseWall(s: string): Parts | undefined {
  const m = WALL.exec(s);
  if (m === null) return undefined;
  const p = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i])) as unknown as Parts;
  return dateOk(p[0], p[1], p[2]) && p[3] <= 23 && p[4] <= 59 && p[5] <= 59 ? p : undefined;
}

export const isDate = (s: string): boolean => parseDate(s) !== undefined;
export const isWall = (s: string): boolean => parseWall(s) !== undefined;
export const isZoneName = (s: string): boolean => ZONE.test(s);

const DAY = "(?:MO|TU|WE|TH|FR|SA|SU)";
const list = (item: string): RegExp => new RegExp(`^${item}(?:,${item}){0,365}$`);
const signedIn = (v: string, max: number, zero = false): boolean => {
  const n = Number(v);
  return /^[+-]?\d{1,3}$/.test(v) && Math.abs(n) <= max && (zero || n !== 0);
};
const numbers = (v: string, ok: (x: string) => boolean): boolean => v !== "" && v.split(",").length <= 366 && v.split(",").every(ok);
const inRange = (min: number, max: number) => (x: string): boolean => /^\d{1,2}$/.test(x) && Number(x) >= min && Number(x) <= max;

/** The frequencies a calendar needs; MINUTELY and SECONDLY would let one event expand to millions. */
export const FREQS = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"] as const;

const RULE_PARTS: Readonly<Record<string, (v: string) => boolean>> = {
  FREQ: (v) => (FREQS as readonly string[]).includes(v),
  INTERVAL: (v) => /^\d{1,4}$/.test(v) && Number(v) >= 1,
  COUNT: (v) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 10_000,
  UNTIL: (v) => untilParts(v) !== undefined,
  BYDAY: (v) => list(`(?:[+-]?(?:[1-9]|[1-4]\\d|5[0-3]))?${DAY}`).test(v),
  BYMONTHDAY: (v) => numbers(v, (x) => signedIn(x, 31)),
  BYYEARDAY: (v) => numbers(v, (x) => signedIn(x, 366)),
  BYWEEKNO: (v) => numbers(v, (x) => signedIn(x, 53)),
  BYSETPOS: (v) => numbers(v, (x) => signedIn(x, 366)),
  BYMONTH: (v) => numbers(v, inRange(1, 12)),
  BYHOUR: (v) => numbers(v, inRange(0, 23)),
  BYMINUTE: (v) => numbers(v, inRange(0, 59)),
  BYSECOND: (v) => numbers(v, inRange(0, 60)),
  WKST: (v) => new RegExp(`^${DAY}$`).test(v),
};

/** UNTIL as a date ("20261231"), a UTC time ("20261231T230000Z") or a floating time. */
export function untilParts(v: string): { parts: Parts; utc: boolean; date: boolean } | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(v);
  if (m === null) return undefined;
  const p = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? "0")) as unknown as Parts;
  if (!dateOk(p[0], p[1], p[2]) || p[3] > 23 || p[4] > 59 || p[5] > 59) return undefined;
  return { parts: p, utc: m[7] === "Z", date: m[4] === undefined };
}

/** The parts of an RRULE value ("FREQ=WEEKLY;BYDAY=MO"), or why it is not one this release expands. */
export function rruleProblem(text: string): string | undefined {
  if (text === "") return "is empty";
  const seen = new Set<string>();
  for (const part of text.split(";")) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    if (eq < 0 || !Object.hasOwn(RULE_PARTS, key)) return `has an unknown part${/^[A-Z]{1,12}$/.test(key) ? ` ${key}` : ""}`;
    if (seen.has(key)) return `names ${key} twice`;
    seen.add(key);
    if (key === "UNTIL" && beforeMinYear(part.slice(eq + 1))) return `has an UNTIL that ${EARLY_REASON}`;
    if (!RULE_PARTS[key]!(part.slice(eq + 1))) return key === "FREQ" ? `FREQ must be one of ${FREQS.join(", ")}` : `has a bad ${key}`;
  }
  if (!seen.has("FREQ")) return "has no FREQ";
  if (seen.has("COUNT") && seen.has("UNTIL")) return "has both COUNT and UNTIL";
  return undefined;
}

/** Parts of an RRULE known to be valid (rruleProblem undefined). */
export function ruleParts(text: string): Map<string, string> {
  return new Map(text.split(";").map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)] as const));
}

/** The same RRULE up to the order and case of its parts (FREQ=WEEKLY;BYDAY=MO;COUNT=4 and freq=weekly;COUNT=4;BYDAY=MO). */
export function sameRule(a: string, b: string): boolean {
  // Sorted parts, not ruleParts' Map: a part given twice must not compare equal to it given once.
  const parts = (r: string): string => r.toUpperCase().split(";").filter((p) => p !== "").sort().join(";");
  return parts(a) === parts(b);
}

/** An override "RECURRENCE-ID<US>start<US>end": all three dates, or all three wall times. */
export const OVERRIDE_SEPARATOR = "\u001f";

/**
 * How far a move may take an occurrence from its RECURRENCE-ID. A reader then needs to look at the
 * moves of the occurrences near its window only, never expand a series across centuries.
 */
export const MAX_MOVE_DAYS = 366;

/** Seconds since 0000-03-01 of parsed parts (civil-from-days inverted), by integer arithmetic. */
function secondsOf(p: Parts): number {
  const y = p[1] <= 2 ? p[0] - 1 : p[0];
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (p[1] + (p[1] > 2 ? -3 : 9)) + 2) / 5) + p[2] - 1;
  const days = era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return days * 86_400 + p[3] * 3600 + p[4] * 60 + p[5];
}

export function overrideProblem(v: string): string | undefined {
  const parts = v.split(OVERRIDE_SEPARATOR);
  if (parts.length !== 3) return "is not RECURRENCE-ID, start and end";
  const ok = parts.every(isWall) || parts.every(isDate);
  if (!ok) return parts.some(beforeMinYear) ? EARLY_REASON : "needs three dates or three wall-clock times";
  if (parts[2]! < parts[1]!) return "ends before it starts";
  const parse = isWall(parts[0]!) ? parseWall : parseDate;
  if (Math.abs(secondsOf(parse(parts[1]!)!) - secondsOf(parse(parts[0]!)!)) > MAX_MOVE_DAYS * 86_400) return `moves the occurrence more than ${MAX_MOVE_DAYS} days`;
  return undefined;
}
