// Where a service process writes what. Its log is on stdout: JSON lines when stdout is a pipe or a file
// (a log collector), readable lines on a terminal. What is meant for the person who started it (where
// it listens, the first admin key once) is on stderr, so the key never enters the log stream.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, describe, expect, it } from "vitest";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { connectClient } from "../support/clients.js";
import { KEY_TEXT } from "../support/rejections.js";
import { createTestDatabase } from "../support/database.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { serviceCommand } from "../support/service-command.js";
import { adminKeyFromNotice, parseLogLine, spawnService, type ServiceProcess } from "../support/service-process.js";
import { testEnv } from "../support/service.js";

const running: ServiceProcess[] = [];
afterAll(async () => {
  for (const service of running) await service.stop("SIGKILL");
});

describe("stdout is a pipe", () => {
  it("carries JSON lines only, the key nowhere; stderr has the notice with the first admin key", async () => {
    const service = await spawnService(testEnv(await createTestDatabase("log_pipe"), { METRICS_PORT: "0" }));
    running.push(service);
    const adminKey = adminKeyFromNotice(service.stderr());
    expect(service.stderr()).toMatch(new RegExp(`^Tokenizer.Estate API Access is listening on ${service.url} \\(Connect, gRPC, gRPC-Web; metrics at http://127\\.0\\.0\\.1:\\d+/metrics\\)$`, "m"));
    expect(service.stderr()).toContain('First admin key for company "default"');
    expect((await connectClient(service.url, adminKey).generate({ name: "Logged" })).apiKey!.name).toBe("Logged");
    expect((await connectClient(service.url).verify({ key: adminKey })).code).toBe(VerifyCode.VALID);

    expect(await service.stop("SIGTERM")).toBe(0);
    const lines = service.stdout().trimEnd().split("\n");
    expect(lines.filter((line) => parseLogLine(line) === null), "stdout lines that are not JSON").toEqual([]);
    const entries = lines.map((line) => parseLogLine(line)!);
    const listening = entries.find((entry) => entry.msg === "listening")!;
    expect(listening).toMatchObject({ level: 30, service: "api-access", url: service.url, metricsUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/) });
    expect(entries.map((entry) => entry.msg)).toEqual(expect.arrayContaining(["key generated", "shutting down: draining calls and flushing last-use times"]));
    expect(service.stdout()).not.toMatch(KEY_TEXT);
    expect(service.stdout()).not.toContain("First admin key");
  });
});

describe("stdout is a terminal", () => {
  it("carries readable lines, and Ctrl-C stops the service gracefully", async () => {
    // util-linux `script` gives the service a pseudo-terminal; what it shows there comes back on script's stdout.
    const env = { ...process.env, ...testEnv(await createTestDatabase("log_tty")), LOG_LEVEL: "info", TERM: "xterm" };
    const [node, args] = serviceCommand("main");
    const command = `exec ${[node, ...args].map((part) => `'${part}'`).join(" ")}`;
    const child = spawn("script", ["--quiet", "--flush", "--return", "--command", command, "/dev/null"], { cwd: REPO_ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    const exited = once(child, "exit").then(([code]) => code as number | null);
    let screen = "";
    child.stdout.on("data", (chunk: Buffer) => (screen += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (screen += chunk.toString("utf8")));
    const plain = () => screen.replace(/\x1b\[[0-9;]*m/g, "").replace(/\r/g, "");
    /** Resolves once the terminal shows `pattern`; fails when the process ends or a minute passes first. */
    const waitForScreen = (pattern: RegExp, what: string) =>
      new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer);
          child.stdout.off("data", check);
          child.off("exit", ended);
          if (error) reject(error);
          else resolve();
        };
        const check = () => pattern.test(plain()) && done();
        const ended = () => done(pattern.test(plain()) ? undefined : new Error(`the service ended before its ${what}:\n${plain()}`));
        const timer = setTimeout(() => done(new Error(`no ${what} on the terminal within 60 s:\n${plain()}`)), 60_000);
        child.stdout.on("data", check);
        child.on("exit", ended);
        check();
      });
    try {
      await waitForScreen(/First admin key[\s\S]*tek_\w+/, "start notice");
      expect(plain()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening \{"url":"http:\/\/127\.0\.0\.1:\d+"/m);
      expect(plain().split("\n").filter((line) => line.startsWith("{")), "JSON lines on the terminal").toEqual([]);
      child.stdin.write("\x03"); // Ctrl-C: SIGINT to the terminal's foreground process
      await waitForScreen(/INFO: shutting down: draining calls/, "shutdown line");
      expect(await exited).toBe(0);
      expect(plain()).toMatch(/INFO: shutdown step done \{"step":"database"/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
