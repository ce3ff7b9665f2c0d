// The Prometheus text parser the tests and benchmarks read metrics with: a misread line must fail, never
// read as 0 (a metric that "stayed at 0" would then prove nothing).
import { describe, expect, it } from "vitest";
import { metricSum, parseMetrics } from "./metrics.js";

const EXPOSITION = [
  "# HELP apikeys_verify_cache_lookups_total Verify cache lookups.",
  "# TYPE apikeys_verify_cache_lookups_total counter",
  'apikeys_verify_cache_lookups_total{result="hit"} 7',
  'apikeys_verify_cache_lookups_total{result="miss"} 3',
  'apikeys_rpc_duration_seconds_count{procedure="tokenizer.apikeys.v1.ApiKeyService/Verify",code="ok"} 2',
  'apikeys_rpc_duration_seconds_count{procedure="tokenizer.apikeys.v1.ApiKeyService/List",code="ok"} 5',
  'apikeys_rpc_duration_seconds_count{procedure="tokenizer.apikeys.v1.ApiKeyService/Verify",code="not_found"} 1',
  'apikeys_escaped{path="a\\"b\\\\c\\nd",xcode="ok"} 4',
  "apikeys_verify_cache_hit_ratio Nan",
  "process_resident_memory_bytes 52428800 1712345678000",
  "apikeys_up +Inf",
  "",
].join("\n");

describe("parseMetrics", () => {
  it("reads names, label sets (escapes included), values and ignores comments and timestamps", () => {
    const samples = parseMetrics(EXPOSITION);
    expect(samples).toHaveLength(9);
    expect(samples.find((sample) => sample.name === "apikeys_escaped")).toEqual({ name: "apikeys_escaped", labels: { path: 'a"b\\c\nd', xcode: "ok" }, value: 4 });
    expect(samples.find((sample) => sample.name === "process_resident_memory_bytes")!.value).toBe(52_428_800);
    expect(samples.find((sample) => sample.name === "apikeys_verify_cache_hit_ratio")!.value).toBeNaN();
    expect(samples.find((sample) => sample.name === "apikeys_up")!.value).toBe(Number.POSITIVE_INFINITY);
  });

  it("throws on a line that is not a sample instead of skipping it", () => {
    expect(() => parseMetrics("apikeys_broken{result=hit} 1")).toThrow(/label set/);
    expect(() => parseMetrics("apikeys_broken 1.2.3")).toThrow(/sample value/);
    expect(() => parseMetrics("{} 1")).toThrow(/sample line/);
  });
});

describe("metricSum", () => {
  it("sums the samples of one name whose labels include the filter, matching label names exactly", () => {
    expect(metricSum(EXPOSITION, "apikeys_verify_cache_lookups_total")).toBe(10);
    expect(metricSum(EXPOSITION, "apikeys_verify_cache_lookups_total", { result: "hit" })).toBe(7);
    expect(metricSum(EXPOSITION, "apikeys_rpc_duration_seconds_count", { procedure: "tokenizer.apikeys.v1.ApiKeyService/Verify" })).toBe(3);
    expect(metricSum(EXPOSITION, "apikeys_rpc_duration_seconds_count", { code: "ok" })).toBe(7);
    // `code` is not `xcode`: a substring match of the label text would have counted it.
    expect(metricSum(EXPOSITION, "apikeys_escaped", { code: "ok" })).toBe(0);
    // A name that is a prefix of another is not that other.
    expect(metricSum(EXPOSITION, "apikeys_rpc_duration_seconds")).toBe(0);
    expect(metricSum(EXPOSITION, "no_such_metric")).toBe(0);
  });
});
