/**
 * Dates as the operator reads and types them: formatting in the local time zone (Intl), and parsing of
 * the filter and expiry inputs with chrono-node ("2026-11-01", "2026-11-01 to 2026-11-10",
 * "last 7 days", "yesterday", "since Monday") and, for expiries, durations ("1 year", "6 months",
 * "in 90 days", "2w"), which add exactly that much. Pure functions of their arguments (the time is
 * always passed in, from the dashboard's clock) and of the process time zone (TZ), the operator's.
 */
import * as chrono from "chrono-node";

/** Where the dashboard reads the time (tests pass a fixed one). */
export type Clock = () => Date;

/** The real time. */
export const systemClock: Clock = () => new Date();

/** A time range; either end may be open. Both ends are inclusive. */
export interface DateRange {
  readonly start?: Date;
  readonly end?: Date;
}

/**
 * What an input parsed to: a value (undefined when the input is empty) and how it was understood, or
 * why it was refused (`isPast` when it was read but lies in the past).
 */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T | undefined; readonly meaning: string }
  | { readonly ok: false; readonly error: string; readonly isPast?: boolean };

/** Keys expiring within this many days are marked in the list. */
export const NEAR_EXPIRY_DAYS = 7;
const DAY_MS = 86_400_000;

/** Examples of date filters around `now` (this month's first day, today), for hints and errors. */
export function rangeExamples(now: Date): string {
  const first = formatDate(new Date(now.getFullYear(), now.getMonth(), 1));
  return `${first}, ${first} to ${formatDate(now)}, last 7 days, yesterday, since ${first}`;
}

/** Examples of expiries after `now` (a date three months ahead), for hints and errors. */
export function expiryExamples(now: Date): string {
  return `in 90 days, 1 year, friday, ${formatDate(addToCalendar(now, { months: 3 }))} 18:00`;
}

// ---------------------------------------------------------------------------------------------------
// Formatting

type Formatters = { date: Intl.DateTimeFormat; dateTime: Intl.DateTimeFormat; zone: Intl.DateTimeFormat };
const formatterCache = new Map<string, Formatters>();

/** The operator's IANA time zone, e.g. "Europe/Berlin" (from TZ or the system). */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function formatters(): Formatters {
  // Built per time zone, lazily: TZ may be set after this module is loaded (tests do).
  const zone = localTimeZone();
  let cached = formatterCache.get(zone);
  if (!cached) {
    const numeric = { year: "numeric", month: "2-digit", day: "2-digit" } as const;
    cached = {
      date: new Intl.DateTimeFormat("en-CA", { ...numeric, timeZone: zone }),
      dateTime: new Intl.DateTimeFormat("en-CA", { ...numeric, hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone }),
      zone: new Intl.DateTimeFormat("en-US", { timeZoneName: "short", timeZone: zone }),
    };
    formatterCache.set(zone, cached);
  }
  return cached;
}

function part(parts: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes): string {
  return parts.find((p) => p.type === type)?.value ?? "";
}

/** "2025-11-27" in the local time zone. */
export function formatDate(date: Date): string {
  const parts = formatters().date.formatToParts(date);
  return `${part(parts, "year")}-${part(parts, "month")}-${part(parts, "day")}`;
}

/** "Fri 2026-12-04 23:59" in the local time zone: the weekday first, so "friday" shows which Friday. */
export function formatDayAndTime(date: Date): string {
  // The formatter is built without a zone: it follows TZ as the process has it now.
  return `${new Intl.DateTimeFormat("en-US", { weekday: "short", timeZone: localTimeZone() }).format(date)} ${formatDateTime(date)}`;
}

/** "2025-11-27 14:03" in the local time zone (24-hour clock). */
export function formatDateTime(date: Date): string {
  const parts = formatters().dateTime.formatToParts(date);
  return `${part(parts, "year")}-${part(parts, "month")}-${part(parts, "day")} ${part(parts, "hour")}:${part(parts, "minute")}`;
}

/** The short name of the local time zone at `date`, e.g. "CET", "GMT+9", "UTC". */
export function timeZoneAbbreviation(date: Date = new Date()): string {
  return part(formatters().zone.formatToParts(date), "timeZoneName") || localTimeZone();
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "in 3 days", "5 minutes ago", "yesterday": how far `date` is from `now`. */
export function formatRelative(date: Date, now: Date): string {
  const seconds = (date.getTime() - now.getTime()) / 1000;
  const abs = Math.abs(seconds);
  const round = (value: number) => Math.round(value) || 0;
  if (abs < 45) return relative.format(round(seconds), "second");
  if (abs < 45 * 60) return relative.format(round(seconds / 60), "minute");
  if (abs < 36 * 3600) return relative.format(round(seconds / 3600), "hour");
  if (abs < 45 * 86400) return relative.format(round(seconds / 86400), "day");
  if (abs < 365 * 86400) return relative.format(round(seconds / (30 * 86400)), "month");
  return relative.format(round(seconds / (365 * 86400)), "year");
}

/** True when `expireTime` is still ahead but within NEAR_EXPIRY_DAYS of `now`. */
export function isNearExpiry(expireTime: Date | undefined, now: Date): boolean {
  if (!expireTime) return false;
  const left = expireTime.getTime() - now.getTime();
  return left > 0 && left <= NEAR_EXPIRY_DAYS * DAY_MS;
}

/** A range as a person reads it: "2025-11-01 00:00 → 2025-11-10 23:59", "from …", "until …". */
export function describeRange(range: DateRange): string {
  if (range.start && range.end) return `${formatDateTime(range.start)} → ${formatDateTime(range.end)}`;
  if (range.start) return `from ${formatDateTime(range.start)}`;
  if (range.end) return `until ${formatDateTime(range.end)}`;
  return "any time";
}

// ---------------------------------------------------------------------------------------------------
// Parsing

type Precision = "minute" | "hour" | "day" | "week" | "month" | "year";

/** The smallest unit the text named: "2025-11-01" is a day, "2025-11-01 14:30" a minute, "this month" a month. */
function precisionOf(components: chrono.ParsedComponents): Precision {
  if (components.isCertain("minute")) return "minute";
  if (components.isCertain("hour")) return "hour";
  if (components.isCertain("day")) return "day";
  if (components.isCertain("month")) return "month";
  if (components.isCertain("year")) return "year";
  return "week"; // chrono's "this week": its first day, nothing certain
}

function startOf(date: Date, precision: Precision): Date {
  const d = new Date(date);
  switch (precision) {
    case "year":
      d.setMonth(0, 1);
      d.setHours(0, 0, 0, 0);
      break;
    case "month":
      d.setDate(1);
      d.setHours(0, 0, 0, 0);
      break;
    case "week":
    case "day":
      d.setHours(0, 0, 0, 0);
      break;
    case "hour":
      d.setMinutes(0, 0, 0);
      break;
    case "minute":
      d.setSeconds(0, 0);
      break;
  }
  return d;
}

function endOf(date: Date, precision: Precision): Date {
  const next = startOf(date, precision);
  switch (precision) {
    case "year":
      next.setFullYear(next.getFullYear() + 1);
      break;
    case "month":
      next.setMonth(next.getMonth() + 1);
      break;
    case "week":
      next.setDate(next.getDate() + 7);
      break;
    case "day":
      next.setDate(next.getDate() + 1);
      break;
    case "hour":
      next.setHours(next.getHours() + 1);
      break;
    case "minute":
      next.setMinutes(next.getMinutes() + 1);
      break;
  }
  return new Date(next.getTime() - 1);
}

/** A date and how much of the calendar it names. */
interface Point {
  readonly date: Date;
  readonly precision: Precision;
}

const YEAR_OR_MONTH = /^(\d{4})(?:-(\d{1,2}))?$/;

/** "2025" and "2025-11", which chrono does not read, as the first instant of that year or month. */
function parseYearOrMonth(text: string): Point | undefined {
  const match = YEAR_OR_MONTH.exec(text);
  if (!match) return undefined;
  const month = match[2] === undefined ? 0 : Number(match[2]) - 1;
  if (month < 0 || month > 11) return undefined;
  return { date: new Date(Number(match[1]), month, 1), precision: match[2] === undefined ? "year" : "month" };
}

/** The one chrono result that covers the whole text, or undefined when the text is not (only) a date. */
function parseWhole(text: string, now: Date, forwardDate: boolean): chrono.ParsedResult | undefined {
  const results = chrono.parse(text, now, { forwardDate });
  const [only] = results;
  if (results.length !== 1 || !only || only.index !== 0 || only.text.length !== text.length) return undefined;
  return only;
}

/** A date, or a range "A to B", as points with their precision; undefined when the text is not (only) that. */
function parsePoints(text: string, now: Date): { start: Point; end?: Point } | undefined {
  const alone = parseYearOrMonth(text);
  if (alone) return { start: alone };
  const [left, right, ...more] = text.split(" to ");
  if (left !== undefined && right !== undefined && more.length === 0) {
    const start = parseYearOrMonth(left);
    const end = parseYearOrMonth(right);
    if (start || end) {
      // chrono reads the other side, if it is a date: "2025-10 to 2025-11-15"
      const other = (side: string) => parseWhole(side, now, false);
      const toPoint = (result: chrono.ParsedResult | undefined): Point | undefined =>
        result && !result.end ? { date: result.start.date(), precision: precisionOf(result.start) } : undefined;
      const a = start ?? toPoint(other(left));
      const b = end ?? toPoint(other(right));
      return a && b ? { start: a, end: b } : undefined;
    }
  }
  const result = parseWhole(text, now, false);
  if (!result) return undefined;
  return {
    start: { date: result.start.date(), precision: precisionOf(result.start) },
    end: result.end ? { date: result.end.date(), precision: precisionOf(result.end) } : undefined,
  };
}

// "last 7 days", "past week", "next 30 days": a rolling window between now and the instant chrono computes.
const ROLLING = /^(last|past|previous|next|coming)\s+(\d+\s*)?(minute|min|hour|hr|day|week|fortnight|month|quarter|year)s?$/;
// "since X", "before X", "> X": one end open.
const OPEN_START = /^(since|from|after|>=|>)\s*(.+)$/;
const OPEN_END = /^(before|until|till|up to|<=|<)\s*(.+)$/;

function normalise(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/\s*(\.\.|–|—)\s*/g, " to ");
}

/**
 * Reads a date-range filter. Accepts a date or date-time (the whole day or minute), a range
 * ("A to B", "A - B", "A..B"), an open range ("since A", "before B"), a rolling window
 * ("last 7 days", "next 30 days") and chrono's natural forms ("yesterday", "this month", "3 days ago").
 */
export function parseDateRange(input: string, now: Date): Parsed<DateRange> {
  const text = normalise(input);
  if (text === "") return { ok: true, value: undefined, meaning: "any time" };
  const refuse = (why = "not a date or range I can read") => ({ ok: false as const, error: `${why}; try ${rangeExamples(now)}` });

  const rolling = ROLLING.exec(text);
  if (rolling) {
    // chrono does the calendar arithmetic ("last month" from Mar 31 is Feb 28/29); the window ends (or starts) now.
    const point = chrono.parseDate(text.replace(/^(past|previous)\b/, "last").replace(/^coming\b/, "next"), now);
    if (!point) return refuse();
    const range = point.getTime() <= now.getTime() ? { start: point, end: now } : { start: now, end: point };
    return { ok: true, value: range, meaning: describeRange(range) };
  }

  let bound: "start" | "end" | "exclusive-start" | "exclusive-end" | undefined;
  let body = text;
  const openStart = OPEN_START.exec(text);
  const openEnd = OPEN_END.exec(text);
  if (openStart && !/ to /.test(openStart[2]!)) {
    bound = openStart[1] === "after" || openStart[1] === ">" ? "exclusive-start" : "start";
    body = openStart[2]!;
  } else if (openEnd) {
    bound = openEnd[1] === "before" || openEnd[1] === "<" ? "exclusive-end" : "end";
    body = openEnd[2]!;
  } else if (openStart) {
    body = openStart[2]!; // "from A to B"
  }

  const points = parsePoints(body, now);
  if (!points) return refuse();
  const { date: first, precision: firstPrecision } = points.start;
  let range: DateRange;
  switch (bound) {
    case "start":
      range = { start: startOf(first, firstPrecision) };
      break;
    case "exclusive-start":
      range = { start: new Date(endOf(first, firstPrecision).getTime() + 1) };
      break;
    case "end":
      range = { end: endOf(first, firstPrecision) };
      break;
    case "exclusive-end":
      range = { end: new Date(startOf(first, firstPrecision).getTime() - 1) };
      break;
    default:
      range = {
        start: startOf(first, firstPrecision),
        end: points.end ? endOf(points.end.date, points.end.precision) : endOf(first, firstPrecision),
      };
  }
  if (bound && points.end) return refuse("use either “since A” or “A to B”, not both");
  if (range.start && range.end && range.start.getTime() > range.end.getTime()) {
    return { ok: false, error: "the range starts after it ends: put the earlier date first" };
  }
  return { ok: true, value: range, meaning: describeRange(range) };
}

/** An amount of calendar time. */
export interface CalendarDuration {
  readonly years?: number;
  readonly months?: number;
  readonly weeks?: number;
  readonly days?: number;
  readonly hours?: number;
  readonly minutes?: number;
}

/**
 * `date` plus `duration` on the local calendar: years and months keep the day of the month, or take
 * the month's last day when it has fewer (Jan 31 + 1 month = Feb 28); days keep the wall-clock time
 * across a daylight-saving change; hours and minutes are exact. (chrono's own arithmetic lets Jan 31 +
 * 1 month overflow into March.)
 */
export function addToCalendar(date: Date, duration: CalendarDuration): Date {
  const months = (duration.years ?? 0) * 12 + (duration.months ?? 0);
  const result = new Date(date);
  if (months !== 0) {
    const day = result.getDate();
    result.setDate(1);
    result.setMonth(result.getMonth() + months);
    const lastDay = new Date(result.getFullYear(), result.getMonth() + 1, 0).getDate();
    result.setDate(Math.min(day, lastDay));
  }
  const days = (duration.weeks ?? 0) * 7 + (duration.days ?? 0);
  if (days !== 0) result.setDate(result.getDate() + days);
  return new Date(result.getTime() + ((duration.hours ?? 0) * 60 + (duration.minutes ?? 0)) * 60_000);
}

const DURATION_UNITS: readonly [RegExp, keyof CalendarDuration][] = [
  [/^(y|yrs?|years?)$/, "years"],
  [/^(mos?|months?)$/, "months"],
  [/^(w|wks?|weeks?|fortnights?)$/, "weeks"],
  [/^(d|days?)$/, "days"],
  [/^(h|hrs?|hours?)$/, "hours"],
  [/^(mins?|minutes?)$/, "minutes"],
];
const DURATION_PART = /^(\d+|an?)\s*([a-z]+)$/;

/**
 * "1 year", "1y", "in 6 months", "2 weeks and 3 days", "next month", "90 days from now" as a duration;
 * undefined when the text is not one. A bare "m" is refused: months or minutes would be a guess.
 */
export function parseDuration(text: string): CalendarDuration | { readonly ambiguous: string } | undefined {
  const body = text
    .replace(/^(in|\+)\s*/, "")
    .replace(/\s+from now$/, "")
    .replace(/^next\s+(year|month|week|day)$/, "1 $1");
  const parts = body.split(/\s*(?:,|\band\b|\s(?=\d|an?\b))\s*/).filter(Boolean);
  if (parts.length === 0) return undefined;
  const duration: Record<string, number> = {};
  for (const part of parts) {
    const match = DURATION_PART.exec(part);
    if (!match) return undefined;
    const [, amount, unitText] = match as unknown as [string, string, string];
    if (unitText === "m") return { ambiguous: part };
    const unit = DURATION_UNITS.find(([pattern]) => pattern.test(unitText))?.[1];
    if (!unit) return undefined;
    const count = amount === "a" || amount === "an" ? 1 : Number(amount) * (unitText.startsWith("fortnight") ? 2 : 1);
    duration[unit] = (duration[unit] ?? 0) + count;
  }
  return duration;
}

/** An expiry as the operator reads it back: "Fri 2026-12-04 23:59 UTC (in 4 days)". */
function describeExpiry(time: Date, now: Date): string {
  return `${formatDayAndTime(time)} ${timeZoneAbbreviation(time)} (${formatRelative(time, now)})`;
}

/**
 * Reads the Generate modal's "Expired At": empty or "never" means no expiry; a duration ("1 year",
 * "in 90 days") adds exactly that to now; a date without a time ("2027-01-31", "friday", "tomorrow")
 * means the end of that day (23:59:59 local), so the key works through the day the operator named.
 * The result must lie in the future.
 */
export function parseExpiry(input: string, now: Date): Parsed<Date> {
  const text = normalise(input).replace(/^(on|at|by)\s+/, "");
  if (text === "" || text === "never") return { ok: true, value: undefined, meaning: "never expires" };
  const unreadable = { ok: false as const, error: `not a date I can read; try ${expiryExamples(now)}, or leave it empty` };
  let time: Date;
  const duration = parseDuration(text);
  if (duration && "ambiguous" in duration) {
    return { ok: false, error: `"${duration.ambiguous}" could be months or minutes: write mo for months or min for minutes` };
  } else if (duration) {
    time = addToCalendar(now, duration);
  } else {
    const result = parseWhole(text, now, true);
    if (!result || result.end) return unreadable;
    const { start } = result;
    // A weekday names a day ("friday" is that Friday), even though chrono leaves the date uncertain.
    const precision = start.isCertain("weekday") && !start.isCertain("hour") ? "day" : precisionOf(start);
    time =
      precision === "minute" || precision === "hour"
        ? startOf(start.date(), "minute")
        : new Date(startOf(endOf(start.date(), precision), "minute").getTime() + 59_000); // 23:59:59
  }
  if (time.getTime() <= now.getTime()) {
    return {
      ok: false,
      isPast: true,
      error: `${formatDayAndTime(time)} is in the past: choose a later time, or leave it empty for a key that never expires`,
    };
  }
  return { ok: true, value: time, meaning: describeExpiry(time, now) };
}

/** The longest overlap of a Roll (the service refuses more). */
export const MAX_OVERLAP_MS = 30 * DAY_MS;

const AT_ONCE = /^(0+\s*[a-z]*|now|at once|immediately|none|no overlap)$/;

/** "1 hour", "7 days": how a duration reads back, in its largest whole units ("1 day 6 hours"). */
export function describeDuration(ms: number): string {
  if (ms <= 0) return "no overlap";
  const parts: string[] = [];
  let rest = Math.round(ms / 60_000);
  for (const [unit, minutes] of [["day", 1440], ["hour", 60], ["minute", 1]] as const) {
    const count = Math.floor(rest / minutes);
    rest -= count * minutes;
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? "" : "s"}`);
  }
  return parts.join(" ") || "less than a minute";
}

/**
 * Reads a Roll's overlap: how long the old key keeps working beside the new one. "0" (or "now", "at
 * once") stops it at once; a duration ("1 hour", "90 min", "7 days", "2 weeks") from now, at most 30
 * days. Required: an empty input says what to type, since stopping the old key at once is a choice.
 */
export function parseOverlap(input: string, now: Date): Parsed<number> {
  const text = normalise(input);
  const examples = "0 (stops at once), 1 hour, 7 days (at most 30 days)";
  if (text === "") return { ok: false, error: `say how long the old key keeps working: ${examples}` };
  if (AT_ONCE.test(text)) return { ok: true, value: 0, meaning: "the old key stops at once" };
  const duration = parseDuration(text);
  if (duration && "ambiguous" in duration) {
    return { ok: false, error: `"${duration.ambiguous}" could be months or minutes: write min for minutes, e.g. 30 min` };
  }
  if (!duration) return { ok: false, error: `not a duration I can read; try ${examples}` };
  const ms = addToCalendar(now, duration).getTime() - now.getTime();
  if (ms > MAX_OVERLAP_MS) return { ok: false, error: `is ${describeDuration(ms)}: at most 30 days, e.g. 7 days` };
  if (ms <= 0) return { ok: true, value: 0, meaning: "the old key stops at once" };
  return { ok: true, value: ms, meaning: `the old key keeps working for ${describeDuration(ms)}, until ${describeExpiry(new Date(now.getTime() + ms), now)}` };
}

/** "12-03": a UTC day (usage is counted per UTC day) as month and day. */
export function formatUtcDay(date: Date): string {
  return date.toISOString().slice(5, 10);
}
