/**
 * A real terminal for end-to-end runs: a detached tmux session of a fixed size on a private tmux
 * server (its own socket, no user config), driven with send-keys and read with capture-pane. tmux
 * also passes everything the program writes through a named pipe (pipe-pane) that this process reads
 * and discards: waitFor reads the screen again each time output arrives (tmux passes output on after
 * drawing it), so nothing sleeps or polls, and no copy of the screen (a new key) is kept on disk.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redactSecrets } from "./keys.js";

/** A tmux session running one command. */
export interface Terminal {
  /** Sends tmux key names (Enter, Tab, Escape, Down, C-r, ...), one at a time. */
  keys(...names: string[]): Promise<void>;
  /** Types text literally. */
  type(text: string): Promise<void>;
  /** Presses Tab until the focused field (marked `› label`) is `label`, waiting for each frame between presses. */
  tabTo(label: string): Promise<void>;
  /** The visible screen as plain text, one line per row, trailing spaces removed. */
  capture(): string;
  /** Waits until the screen satisfies `check`; failure messages quote the screen with keys redacted. */
  waitFor(check: string | ((screen: string) => boolean), what?: string, timeoutMs?: number): Promise<string>;
  resize(width: number, height: number): void;
  /** The newest tmux paste buffer (where OSC 52 copies land with set-clipboard on), or "". */
  clipboard(): string;

  /** Kills the tmux server and everything in it. */
  close(): void;
}

/** True when the `tmux` command is available. */
export function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * The shell line that runs the dashboard from source (`npm run dashboard:dev`, what `npm run dashboard`
 * runs compiled) for `url`: Node 24 first on PATH, DATA_DIR for
 * admin.key, UTC dates. The exit status is written to `exitFile` (tmux's pane status proved unreliable
 * here: it sometimes never reaps the exited npm).
 */
export function dashboardCommand(url: string, dataDir: string, repoRoot: string, exitFile = "/dev/null"): string {
  const path = `${repoRoot}/node_modules/node/bin:${repoRoot}/node_modules/.bin:${process.env.PATH ?? "/usr/bin:/bin"}`;
  return `env -u TOKENIZER_API_KEY PATH='${path}' TOKENIZER_URL='${url}' DATA_DIR='${dataDir}' TZ=UTC npm run --silent dashboard:dev; echo $? > '${exitFile}'`;
}

/** Starts `command` (a shell command line) in a new detached session `width`×`height`. */
export function openTerminal(command: string, options: { width: number; height: number; cwd: string; env?: NodeJS.ProcessEnv }): Terminal {
  const socket = `dashboard-e2e-${process.pid}-${randomBytes(3).toString("hex")}`;
  const tmux = (...args: string[]) =>
    execFileSync("tmux", ["-L", socket, ...args], { cwd: options.cwd, env: options.env ?? process.env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  // The session starts a shell; options are set before the command runs so OSC 52 reaches tmux's buffer.
  tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", String(options.width), "-y", String(options.height));
  tmux("set-option", "-g", "set-clipboard", "on");
  tmux("set-option", "-g", "remain-on-exit", "on");
  tmux("set-option", "-g", "status", "off");
  tmux("respawn-pane", "-k", "-t", "e2e", "-c", options.cwd, command);
  // The program's output, as tmux draws it, comes through this pipe: each chunk wakes waitFor.
  const outputDir = mkdtempSync(join(tmpdir(), "dashboard-e2e-output-"));
  const outputPipe = join(outputDir, "pane-output");
  execFileSync("mkfifo", ["-m", "600", outputPipe]);
  tmux("pipe-pane", "-t", "e2e", `cat > '${outputPipe}'`);
  const outputWaiters = new Set<() => void>();
  const output = createReadStream(outputPipe);
  output.on("data", () => {
    for (const wake of [...outputWaiters]) wake();
  });
  output.on("error", () => undefined); // the pipe closes with the tmux server
  /** Resolves true when the program wrote more output, false when it wrote none within `ms`. */
  const nextOutput = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const wake = (wrote: boolean) => {
        clearTimeout(timer);
        outputWaiters.delete(onOutput);
        resolve(wrote);
      };
      const onOutput = () => wake(true);
      const timer = setTimeout(() => wake(false), ms);
      outputWaiters.add(onOutput);
    });

  const terminal: Terminal = {
    async keys(...names) {
      // Callers wait for the frame a key produces before sending the next (keys sent together may reach
      // the dashboard in one read, which Ink takes as pasted text).
      for (const name of names) tmux("send-keys", "-t", "e2e", name);
    },
    async tabTo(label) {
      for (let presses = 0; !this.capture().includes(`› ${label}`); presses++) {
        if (presses === 8) throw new Error(`Tab never reached ${label}:\n${this.capture()}`);
        const before = this.capture();
        await this.keys("Tab");
        await this.waitFor((screen) => screen !== before, `the focus moving on from ${/› \S+/.exec(before)?.[0] ?? "?"}`);
      }
    },
    async type(text) {
      tmux("send-keys", "-t", "e2e", "-l", text);
    },
    capture() {
      return tmux("capture-pane", "-p", "-t", "e2e")
        .split("\n")
        .map((line) => line.trimEnd())
        .join("\n")
        .replace(/\n+$/, "");
    },
    async waitFor(check, what, timeoutMs = 20_000) {
      const matches = (screen: string) => (typeof check === "string" ? screen.includes(check) : check(screen));
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const screen = terminal.capture();
        if (matches(screen)) return screen;
        const left = deadline - Date.now();
        if (left <= 0 || !(await nextOutput(left))) {
          const last = terminal.capture();
          if (matches(last)) return last;
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what ?? JSON.stringify(String(check))}; the terminal showed:\n${redactSecrets(last)}`);
        }
      }
    },
    resize(width, height) {
      tmux("resize-window", "-t", "e2e", "-x", String(width), "-y", String(height));
    },
    clipboard() {
      try {
        return tmux("show-buffer");
      } catch {
        return "";
      }
    },
    close() {
      output.destroy();
      try {
        tmux("kill-server");
      } catch {
        // already gone
      }
      // kill-server leaves the socket file behind.
      rmSync(join(process.env.TMUX_TMPDIR ?? "/tmp", `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
      rmSync(outputDir, { recursive: true, force: true });
    },
  };
  return terminal;
}
