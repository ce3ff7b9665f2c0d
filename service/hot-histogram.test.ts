// The hot-path histogram writes out what a prom-client Histogram would for the same observations.
import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { HotHistogram } from "./hot-histogram.js";

describe("HotHistogram", () => {
  it("writes the same exposition as prom-client's Histogram: cumulative buckets (a value on a bound counts in it), +Inf, sum, count, per label set", async () => {
    const bounds = [0.001, 0.01, 0.1];
    const values: [string, number][] = [["ok", 0.0005], ["ok", 0.001], ["ok", 0.05], ["ok", 7], ["Unavailable", 0.01]];
    const ours = new Registry();
    const theirs = new Registry();
    const hot = new HotHistogram("x_seconds", "help text", bounds, ours);
    const reference = new Histogram({ name: "x_seconds", help: "help text", labelNames: ["code"], buckets: bounds, registers: [theirs] });
    for (const [code, value] of values) {
      hot.series({ code })(value);
      reference.observe({ code }, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    const ok = hot.series({ code: "ok" });
    hot.reset();
    expect(await ours.metrics()).toBe("# HELP x_seconds help text\n# TYPE x_seconds histogram\n");
    // An observer taken before the reset still counts (the service binds each label set's observer once).
    ok(0.05);
    reference.reset();
    reference.observe({ code: "ok" }, 0.05);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
