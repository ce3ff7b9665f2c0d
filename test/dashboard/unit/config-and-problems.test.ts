// Where the dashboard connects and with which key, and how service errors read.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, describe, expect, it } from "vitest";
import { describeProblem } from "../../../tui/client/problems.js";
import { DashboardConfigError, loadDashboardConfig } from "../../../tui/config.js";
import { GUTTER_WIDTH, tableLayout } from "../../../tui/components/table-layout.js";

const dataDir = mkdtempSync(join(tmpdir(), "dashboard-config-"));
writeFileSync(join(dataDir, "admin.key"), "tek_from_the_file\n");
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("configuration", () => {
  it("defaults to the local service and takes TOKENIZER_API_KEY first", () => {
    expect(loadDashboardConfig({})).toMatchObject({ baseUrl: "http://127.0.0.1:8080" });
    expect(loadDashboardConfig({ TOKENIZER_API_KEY: " tek_env ", DATA_DIR: dataDir }).key).toEqual({ apiKey: "tek_env", source: "TOKENIZER_API_KEY" });
  });

  it("uses <DATA_DIR>/admin.key for a service on this machine, never for a remote one", () => {
    expect(loadDashboardConfig({ DATA_DIR: dataDir, TOKENIZER_URL: "http://localhost:9000/" })).toMatchObject({
      baseUrl: "http://localhost:9000",
      key: { apiKey: "tek_from_the_file", source: "admin.key" },
      adminKeyPath: join(dataDir, "admin.key"),
    });
    expect(loadDashboardConfig({ DATA_DIR: dataDir, TOKENIZER_URL: "https://keys.example.com" }).key).toBeUndefined();
    expect(loadDashboardConfig({ DATA_DIR: join(dataDir, "missing") }).key).toBeUndefined();
  });

  it("refuses a TOKENIZER_URL that is not an http(s) URL", () => {
    expect(() => loadDashboardConfig({ TOKENIZER_URL: "127.0.0.1:8080" })).toThrow(DashboardConfigError);
    expect(() => loadDashboardConfig({ TOKENIZER_URL: "ftp://x" })).toThrow("must start with http:// or https://");
  });
});

describe("problems", () => {
  const url = "http://127.0.0.1:8080";
  it("names the field of bad input in the dashboard's words", () => {
    expect(describeProblem(new ConnectError("expire_time: must be in the future", Code.InvalidArgument), "generate", url)).toEqual({
      kind: "invalid",
      field: "expire_time",
      message: "Expired At must be in the future.",
      retryable: false,
    });
    expect(describeProblem(new ConnectError("create_time.start: must be between", Code.InvalidArgument), "list", url).message).toBe("Created at filter must be between.");
  });

  it("retries what may heal (unreachable, unavailable, timeouts) and not what will not", () => {
    const refused = new ConnectError("connect ECONNREFUSED 127.0.0.1:8080", Code.Unavailable);
    expect(describeProblem(refused, "list", url)).toMatchObject({ kind: "unreachable", retryable: true, message: expect.stringContaining("connection refused") });
    expect(describeProblem(new ConnectError("the key database is unavailable right now; retry shortly", Code.Unavailable), "list", url)).toMatchObject({ kind: "unavailable", retryable: true });
    expect(describeProblem(new ConnectError("slow", Code.DeadlineExceeded), "list", url)).toMatchObject({ kind: "unreachable", retryable: true });
    expect(describeProblem(new ConnectError("no", Code.Unauthenticated), "list", url)).toMatchObject({ kind: "unauthenticated", retryable: false });
    expect(describeProblem(new ConnectError("no", Code.PermissionDenied), "list", url)).toMatchObject({ kind: "permission", retryable: false });
    expect(describeProblem(new ConnectError("boom", Code.Internal), "list", url)).toMatchObject({ kind: "internal", retryable: false });
    // A connection the peer dropped reaches the client as INTERNAL: it is the network's failure, tried again.
    const dropped = new ConnectError("write EPIPE", Code.Internal, undefined, undefined, Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    expect(describeProblem(dropped, "list", url)).toMatchObject({ kind: "unreachable", retryable: true, message: `Cannot reach the service at ${url} (EPIPE).` });
  });
});

describe("table layout", () => {
  it("fits 80 columns with short headers, uses the full names from 98, times from 107, Uses (30 d) from 114", () => {
    const width = (columns: number) => {
      const layout = tableLayout(columns);
      return GUTTER_WIDTH + layout.columns.reduce((sum, column) => sum + column.width, 0) + (layout.columns.length - 1);
    };
    for (const columns of [80, 96, 97, 98, 100, 106, 107, 113, 114, 120, 121, 140]) expect(width(columns), `${columns} columns`).toBeLessThanOrEqual(columns);
    expect(tableLayout(80).columns.map((column) => column.header)).toEqual(["Key Identifier", "Name", "Created", "Last used", "Expires", "Status", "Act"]);
    expect(tableLayout(100).columns.map((column) => column.header)).toEqual(["Key Identifier", "Name / Purpose", "Created at", "Last used at", "Expiration date", "Status", "Actions"]);
    expect(tableLayout(100).dateStyle).toBe("date");
    expect(tableLayout(110).dateStyle).toBe("datetime");
    const withUses = (columns: number) => tableLayout(columns).columns.some((column) => column.header === "Uses (30 d)" && column.sort === "uses_last_30_days");
    expect([97, 100, 113].map(withUses)).toEqual([false, false, false]);
    expect([114, 121, 140].map(withUses)).toEqual([true, true, true]);
    expect(tableLayout(121).dateStyle).toBe("datetime");
  });
});
