// The usage chart's bars: scaled to the largest day, eight steps a line, a day with any use visible.
import { describe, expect, it } from "vitest";
import { barLines } from "./usage-bars.js";

describe("barLines", () => {
  it("scales to the largest value over all lines, eight steps a line", () => {
    expect(barLines([0, 1, 2, 4, 8], 1)).toEqual([" ▁▂▄█"]);
    expect(barLines([0, 8, 16], 2)).toEqual(["  █", " ██"]);
    expect(barLines([3, 6], 3)).toEqual([" █", "▄█", "██"]);
  });

  it("shows a single use among thousands, and nothing for no use", () => {
    expect(barLines([1, 5_000, 0], 3)).toEqual([" █ ", " █ ", "▁█ "]);
  });

  it("is blank when nothing happened", () => {
    expect(barLines([0, 0, 0], 2)).toEqual(["   ", "   "]);
  });
});
