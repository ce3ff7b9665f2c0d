// Dates as the operator types and reads them: ranges and expiries parsed in the local time zone
// (chrono-node), formatting through Intl in that zone.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatRelative, isNearExpiry, parseDateRange, parseExpiry, timeZoneAbbreviation } from "../../../tui/dates.js";

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
      if (!parsed.ok) expect(parsed.error).toMatch(/^not a date or range I can read; try 2025-11-01/);
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
    expect(day.ok && day.meaning).toBe("2026-01-31 23:59 GMT+1 (in 2 months)");
    const time = parseExpiry("2026-01-31 18:00", NOW);
    expect(time.ok && time.value?.toISOString()).toBe("2026-01-31T17:00:00.000Z");
    const relative = parseExpiry("in 90 days", NOW);
    expect(relative.ok && relative.value?.toISOString()).toBe("2026-02-25T22:59:59.000Z");
  });

  it("refuses the past and unreadable text", () => {
    expect(parseExpiry("yesterday", NOW)).toEqual({ ok: false, error: "2025-11-26 23:59 is not in the future; leave it empty for a key that never expires" });
    expect(parseExpiry("whenever", NOW)).toMatchObject({ ok: false, error: expect.stringMatching(/^not a date I can read/) });
  });
});
