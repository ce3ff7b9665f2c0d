// Dates as the operator types and reads them: ranges and expiries parsed in the local time zone
// (chrono-node), formatting through Intl in that zone.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  addToCalendar,
  expiryExamples,
  formatDate,
  formatDateTime,
  formatRelative,
  isNearExpiry,
  describeDuration,
  parseDateRange,
  parseExpiry,
  parseOverlap,
  rangeExamples,
  timeZoneAbbreviation,
} from "../../../tui/dates.js";

const NOW = new Date("2025-11-27T10:00:00Z");
let savedTz: string | undefined;
beforeEach(() => {
  savedTz = process.env.TZ;
  process.env.TZ = "Europe/Berlin"; // UTC+1 in November
});
afterEach(() => {
  process.env.TZ = savedTz;
});

function range(text: string): { start?: string; end?: string } {
  const parsed = parseDateRange(text, NOW);
  if (!parsed.ok) throw new Error(parsed.error);
  return { start: parsed.value?.start?.toISOString(), end: parsed.value?.end?.toISOString() };
}

describe("formatting", () => {
  it("writes dates and times in the operator's zone, 24-hour, year first", () => {
    const instant = new Date("2025-03-04T23:30:00Z");
    expect(formatDate(instant)).toBe("2025-03-05");
    expect(formatDateTime(instant)).toBe("2025-03-05 00:30");
    expect(timeZoneAbbreviation(instant)).toBe("GMT+1");
    process.env.TZ = "America/New_York";
    expect(formatDateTime(instant)).toBe("2025-03-04 18:30");
    expect(timeZoneAbbreviation(instant)).toBe("EST");
  });

  it("says how far away a time is", () => {
    expect(formatRelative(new Date(NOW.getTime() + 3 * 86_400_000), NOW)).toBe("in 3 days");
    expect(formatRelative(new Date(NOW.getTime() - 5 * 60_000), NOW)).toBe("5 minutes ago");
    expect(formatRelative(NOW, NOW)).toBe("now");
  });

  it("marks keys expiring within 7 days, not expired or later ones", () => {
    const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000);
    expect(isNearExpiry(days(6.9), NOW)).toBe(true);
    expect(isNearExpiry(days(7.1), NOW)).toBe(false);
    expect(isNearExpiry(days(-1), NOW)).toBe(false);
    expect(isNearExpiry(undefined, NOW)).toBe(false);
  });
});

describe("date-range filters", () => {
  it("a date is the whole local day; a date-time its minute", () => {
    expect(range("2025-11-01")).toEqual({ start: "2025-10-31T23:00:00.000Z", end: "2025-11-01T22:59:59.999Z" });
    expect(range("2025-11-01 14:30")).toEqual({ start: "2025-11-01T13:30:00.000Z", end: "2025-11-01T13:30:59.999Z" });
  });

  it("ranges: A to B, A - B, A..B, whole days at both ends", () => {
    const expected = { start: "2025-10-31T23:00:00.000Z", end: "2025-11-10T22:59:59.999Z" };
    expect(range("2025-11-01 to 2025-11-10")).toEqual(expected);
    expect(range("2025-11-01 - 2025-11-10")).toEqual(expected);
    expect(range("2025-11-01..2025-11-10")).toEqual(expected);
    expect(range("from 2025-11-01 to 2025-11-10")).toEqual(expected);
  });

  it("open ranges: since / after / before / until", () => {
    expect(range("since 2025-11-01")).toEqual({ start: "2025-10-31T23:00:00.000Z", end: undefined });
    expect(range("after 2025-11-01")).toEqual({ start: "2025-11-01T23:00:00.000Z", end: undefined });
    expect(range("before 2025-11-01")).toEqual({ start: undefined, end: "2025-10-31T22:59:59.999Z" });
    expect(range("until 2025-11-01")).toEqual({ start: undefined, end: "2025-11-01T22:59:59.999Z" });
  });

  it("relative forms: last 7 days, next 30 days, yesterday, this month, a year, a month", () => {
    expect(range("last 7 days")).toEqual({ start: "2025-11-20T10:00:00.000Z", end: NOW.toISOString() });
    expect(range("past week")).toEqual(range("last 7 days"));
    expect(range("next 30 days")).toEqual({ start: NOW.toISOString(), end: "2025-12-27T10:00:00.000Z" });
    expect(range("yesterday")).toEqual({ start: "2025-11-25T23:00:00.000Z", end: "2025-11-26T22:59:59.999Z" });
    expect(range("this month")).toEqual({ start: "2025-10-31T23:00:00.000Z", end: "2025-11-30T22:59:59.999Z" });
    expect(range("2025")).toEqual({ start: "2024-12-31T23:00:00.000Z", end: "2025-12-31T22:59:59.999Z" });
    expect(range("2025-02")).toEqual({ start: "2025-01-31T23:00:00.000Z", end: "2025-02-28T22:59:59.999Z" });
  });

  it("empty means no filter; unreadable text and inverted ranges say why", () => {
    expect(parseDateRange("  ", NOW)).toEqual({ ok: true, value: undefined, meaning: "any time" });
    for (const text of ["yesterdy", "2025-13-45", "soon-ish", "2025-11-01 and then some"]) {
      const parsed = parseDateRange(text, NOW);
      expect(parsed.ok, text).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(/^not a date or range I can read; try 2025-11-01, 2025-11-01 to 2025-11-27,/);
    }
    expect(parseDateRange("before 2025-11-01 to 2025-11-03", NOW)).toMatchObject({ ok: false, error: expect.stringContaining("not both") });
  });
});

describe("Expired At", () => {
  it("empty or never: no expiry; a date: the end of that local day; a time: that minute", () => {
    expect(parseExpiry("", NOW)).toMatchObject({ ok: true, value: undefined, meaning: "never expires" });
    expect(parseExpiry("never", NOW)).toMatchObject({ ok: true, value: undefined });
    const day = parseExpiry("2026-01-31", NOW);
    expect(day.ok && day.value?.toISOString()).toBe("2026-01-31T22:59:59.000Z");
    expect(day.ok && day.meaning).toBe("Sat 2026-01-31 23:59 GMT+1 (in 2 months)");
    const time = parseExpiry("2026-01-31 18:00", NOW);
    expect(time.ok && time.value?.toISOString()).toBe("2026-01-31T17:00:00.000Z");
    const relative = parseExpiry("in 90 days", NOW);
    expect(relative.ok && relative.value?.toISOString()).toBe("2026-02-25T10:00:00.000Z"); // exactly 90 days later
  });
});

// The day: Monday 2026-11-30. Every expectation below is derived from this clock, never from the real one.
describe("Expired At on Monday 2026-11-30, 10:00 UTC", () => {
  const MONDAY = new Date("2026-11-30T10:00:00Z");
  const expiry = (text: string, now = MONDAY) => {
    const parsed = parseExpiry(text, now);
    if (!parsed.ok) throw new Error(`${text}: ${parsed.error}`);
    return { at: parsed.value!.toISOString(), meaning: parsed.meaning };
  };
  beforeEach(() => {
    process.env.TZ = "UTC";
  });

  it("a duration adds exactly that duration: 1 year is 2027-11-30, not the end of 2027", () => {
    for (const text of ["1 year", "1y", "in 1 year", "a year", "1 yr", "in a year from now"]) expect(expiry(text).at, text).toBe("2027-11-30T10:00:00.000Z");
    expect(expiry("1 year").meaning).toBe("Tue 2027-11-30 10:00 UTC (next year)");
    expect(expiry("6 months").at).toBe("2027-05-30T10:00:00.000Z");
    expect(expiry("1 month").at).toBe("2026-12-30T10:00:00.000Z");
    expect(expiry("next month").at).toBe("2026-12-30T10:00:00.000Z");
    expect(expiry("2 weeks").at).toBe("2026-12-14T10:00:00.000Z");
    expect(expiry("90d").at).toBe("2027-02-28T10:00:00.000Z");
    expect(expiry("1y 6mo").at).toBe("2028-05-30T10:00:00.000Z");
    expect(expiry("36 hours").at).toBe("2026-12-01T22:00:00.000Z");
  });

  it("months and years are calendar-aware: the 31st plus a month is the month's last day", () => {
    expect(expiry("1 month", new Date("2027-01-31T10:00:00Z")).at).toBe("2027-02-28T10:00:00.000Z");
    expect(expiry("1 year", new Date("2028-02-29T10:00:00Z")).at).toBe("2029-02-28T10:00:00.000Z");
    expect(addToCalendar(new Date("2026-03-31T10:00:00Z"), { months: -1 }).toISOString()).toBe("2026-02-28T10:00:00.000Z");
  });

  it("a weekday means that day (through its end), and the preview names the weekday", () => {
    expect(expiry("friday")).toEqual({ at: "2026-12-04T23:59:59.000Z", meaning: "Fri 2026-12-04 23:59 UTC (in 5 days)" });
    expect(expiry("on friday").at).toBe("2026-12-04T23:59:59.000Z");
    expect(expiry("next friday").meaning).toMatch(/^Fri 2026-12-11 23:59 UTC/);
    expect(expiry("friday 18:00").at).toBe("2026-12-04T18:00:00.000Z");
    expect(expiry("tomorrow").meaning).toMatch(/^Tue 2026-12-01 23:59 UTC/);
  });

  it("says “in the past” for past times, now and yesterday; a bare m is refused as ambiguous", () => {
    for (const text of ["yesterday", "now", "2026-11-29", "3 days ago"]) {
      const parsed = parseExpiry(text, MONDAY);
      expect(parsed, text).toMatchObject({ ok: false, isPast: true, error: expect.stringContaining("is in the past") });
    }
    expect(parseExpiry("6m", MONDAY)).toMatchObject({ ok: false, error: expect.stringContaining("write mo for months or min for minutes") });
  });

  it("examples in hints and errors are derived from today, never already past", () => {
    expect(expiryExamples(MONDAY)).toBe("in 90 days, 1 year, friday, 2027-02-28 18:00");
    expect(rangeExamples(MONDAY)).toBe("2026-11-01, 2026-11-01 to 2026-11-30, last 7 days, yesterday, since 2026-11-01");
    const refused = parseExpiry("whenever", MONDAY);
    expect(refused).toMatchObject({ ok: false, error: "not a date I can read; try in 90 days, 1 year, friday, 2027-02-28 18:00, or leave it empty" });
    expect(parseExpiry(expiryExamples(MONDAY).split(", ").at(-1)!, MONDAY).ok).toBe(true);
  });
});

describe("parseOverlap (Roll)", () => {
  it("0, now or at once stop the old key at once; a duration keeps it that long, up to 30 days", () => {
    for (const text of ["0", "0 h", "now", "at once"]) expect(parseOverlap(text, NOW)).toMatchObject({ ok: true, value: 0, meaning: "the old key stops at once" });
    expect(parseOverlap("1 hour", NOW)).toMatchObject({ ok: true, value: 3_600_000 });
    expect(parseOverlap("90 min", NOW)).toMatchObject({ ok: true, value: 5_400_000 });
    expect(parseOverlap("7 days", NOW)).toMatchObject({ ok: true, value: 7 * 86_400_000, meaning: expect.stringContaining("keeps working for 7 days, until Thu 2025-12-04 11:00") });
    expect(parseOverlap("30 days", NOW)).toMatchObject({ ok: true, value: 30 * 86_400_000 });
  });

  it("says why it refuses: nothing typed, unreadable, over 30 days, months or minutes", () => {
    expect(parseOverlap(" ", NOW)).toMatchObject({ ok: false, error: expect.stringContaining("say how long the old key keeps working") });
    expect(parseOverlap("soon", NOW)).toMatchObject({ ok: false, error: expect.stringContaining("not a duration I can read") });
    expect(parseOverlap("31 days", NOW)).toMatchObject({ ok: false, error: "is 31 days: at most 30 days, e.g. 7 days" });
    expect(parseOverlap("5 m", NOW)).toMatchObject({ ok: false, error: expect.stringContaining("could be months or minutes") });
  });

  it("reads a duration back in whole units", () => {
    expect(describeDuration(0)).toBe("no overlap");
    expect(describeDuration(90 * 60_000)).toBe("1 hour 30 minutes");
    expect(describeDuration(36 * 3_600_000)).toBe("1 day 12 hours");
  });
});
