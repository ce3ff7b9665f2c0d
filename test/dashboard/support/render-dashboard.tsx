/**
 * Renders the real dashboard App with ink-testing-library against a real service, and drives it
 * like an operator: keys written to stdin, assertions on the plain-text frame via waitFor. Nothing
 * sleeps: a key is written once the dashboard has taken in the previous one (see ink-sync.ts), and
 * waitFor re-reads the screen each time Ink draws a frame, failing with the last frame after its
 * timeout. Frames quoted in failures are redacted: a full key never reaches the test output.
 */
import type { EventEmitter } from "node:events";
import { once } from "node:events";
import { stripVTControlCharacters } from "node:util";
import type { ReactNode } from "react";
import { useStdin } from "ink";
import { render } from "ink-testing-library";
import { App } from "../../../tui/app.js";
import type { Clipboard } from "../../../tui/clipboard.js";
import { createDashboardTransport } from "../../../tui/client/transport.js";
import type { DiscoveredKey } from "../../../tui/config.js";
import type { Clock } from "../../../tui/dates.js";
import type { ListTiming } from "../../../tui/hooks/use-key-list.js";
import { settleInk } from "./ink-sync.js";
import { KEYS, redactSecrets } from "./keys.js";
import { readTable, type ScreenRow } from "./screen-table.js";

/** ink-testing-library's terminal is 100 columns wide; the rows come from LINES (see below). A test may ask for another size. */
export const SCREEN_WIDTH = 100;
export const SCREEN_HEIGHT = 30;

// Ink asks the terminal-size package for rows when stdout has none; with LINES/COLUMNS set it answers
// at once instead of spawning `tput` on every frame.
process.env.COLUMNS = String(SCREEN_WIDTH);
process.env.LINES = String(SCREEN_HEIGHT);

/** Fast timing for tests: short debounce, quick retries, no background refresh unless asked. */
export const TEST_TIMING: ListTiming = { debounceMs: 60, refreshMs: 0, retryInitialMs: 100, retryMaxMs: 400 };

/** Text without line breaks, box borders or runs of spaces, so a sentence Ink wrapped still matches. */
export function flatten(text: string): string {
  return text.replace(/[│╭╮╰╯─]/g, " ").replace(/\s+/g, " ").trim();
}

/** The two details lines under the list footer, joined as the sentence they wrap. */
export function detailsOf(screen: string): string {
  const lines = screen.split("\n");
  const footer = lines.findIndex((line) => / · page \d+/.test(line));
  return footer < 0 ? "" : lines.slice(footer + 1, footer + 3).map((line) => line.trim()).filter(Boolean).join(" ");
}

/** A rendered dashboard. */
export interface DashboardUnderTest {
  /** The current screen, without colours. */
  screen(): string;
  /** The current screen as one line of words (wrapped sentences and boxed text read whole), full keys redacted so a failed assertion never prints one. */
  text(): string;
  /** Every screen drawn so far, without colours. */
  screens(): string[];
  /** Writes one key (or a string typed at once) to the dashboard's stdin. */
  press(...keys: string[]): Promise<void>;
  /** Waits until the screen satisfies `check` (a substring, matched across wrapped lines; a pattern; a predicate) and returns it. */
  waitFor(check: string | RegExp | ((screen: string) => boolean), what?: string, timeoutMs?: number): Promise<string>;
  /** The table currently shown. */
  table(): ScreenRow[];
  /** The selected key's details (the two lines under the footer), as one line. */
  details(): string;
  /** What the dashboard sent to the clipboard. */
  readonly copied: string[];
  unmount(): void;
}

/** Hands the test Ink's input events (Esc reaches the screen only after Ink's wait for more bytes). */
function InputProbe({ onEvents, children }: { readonly onEvents: (events: EventEmitter) => void; readonly children: ReactNode }) {
  // useStdin's type shows the public part; the context also carries the emitter useInput listens to.
  onEvents((useStdin() as unknown as { readonly internal_eventEmitter: EventEmitter }).internal_eventEmitter);
  return children;
}

/** How long a lone Esc may take to reach the screen (Ink holds it 20 ms for a longer sequence). */
const ESCAPE_TIMEOUT_MS = 2_000;

/** Renders the dashboard for `baseUrl`, logged in with `apiKey` (or at the key prompt without one). */
export function renderDashboard(options: {
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly source?: DiscoveredKey["source"];
  readonly timing?: ListTiming;
  readonly callTimeoutMs?: number;
  /** The dashboard's clock (the real time when omitted). */
  readonly clock?: Clock;
  /** The terminal's size, when not SCREEN_WIDTH×SCREEN_HEIGHT (the dashboard is told as on a resize). */
  readonly size?: { readonly columns: number; readonly rows: number };
}): DashboardUnderTest {
  const copied: string[] = [];
  const clipboard: Clipboard = {
    copy(text) {
      copied.push(text);
      return true;
    },
  };
  let inputEvents: EventEmitter | undefined;
  const instance = render(
    <InputProbe onEvents={(events) => (inputEvents = events)}>
      <App
        baseUrl={options.baseUrl}
        transportFor={(apiKey) => createDashboardTransport({ baseUrl: options.baseUrl, apiKey, timeoutMs: options.callTimeoutMs ?? 5_000 })}
        initialKey={options.apiKey ? { apiKey: options.apiKey, source: options.source ?? "TOKENIZER_API_KEY" } : undefined}
        adminKeyPath="/srv/tokenizer/data/admin.key"
        clipboard={clipboard}
        timing={options.timing ?? TEST_TIMING}
        clock={options.clock}
      />
    </InputProbe>,
  );
  // Every frame Ink draws wakes the waitFor calls waiting for one.
  const frameWaiters = new Set<() => void>();
  const writeFrame = instance.stdout.write;
  instance.stdout.write = (frame: string) => {
    writeFrame(frame);
    for (const wake of [...frameWaiters]) wake();
  };
  if (options.size) {
    const { columns, rows } = options.size;
    Object.defineProperty(instance.stdout, "columns", { get: () => columns });
    Object.defineProperty(instance.stdout, "rows", { get: () => rows });
    instance.stdout.emit("resize");
  }
  /** Resolves true at the next frame, false when none came within `ms`. */
  const nextFrame = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const wake = (drawn: boolean) => {
        clearTimeout(timer);
        frameWaiters.delete(onFrame);
        resolve(drawn);
      };
      const onFrame = () => wake(true);
      const timer = setTimeout(() => wake(false), ms);
      frameWaiters.add(onFrame);
    });
  const screen = () => stripVTControlCharacters(instance.lastFrame() ?? "");
  const dashboard: DashboardUnderTest = {
    screen,
    text: () => redactSecrets(flatten(screen())),
    screens: () => instance.frames.map((frame) => stripVTControlCharacters(frame)),
    async press(...keys) {
      for (const key of keys) {
        settleInk(); // the screen the last frame showed listens for keys now
        // Ink holds a lone Esc for more bytes (Esc then "x" is Alt+x): wait until it passed it on.
        const isLoneEscape = key.endsWith(KEYS.escape);
        const escaped = isLoneEscape && inputEvents ? once(inputEvents, "input", { signal: AbortSignal.timeout(ESCAPE_TIMEOUT_MS) }) : undefined;
        instance.stdin.write(key);
        if (escaped) {
          await escaped.catch(() => {
            throw new Error(`Esc did not reach the dashboard within ${ESCAPE_TIMEOUT_MS} ms; the screen was:\n${redactSecrets(screen())}`);
          });
        }
        settleInk(); // the key's re-render and the effects it started
      }
    },
    async waitFor(check, what, timeoutMs = 10_000) {
      const matches = (text: string) =>
        typeof check === "string" ? flatten(text).includes(flatten(check)) : check instanceof RegExp ? check.test(text) : check(text);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = screen();
        if (matches(text)) return text;
        const left = deadline - Date.now();
        if (left <= 0 || !(await nextFrame(left))) {
          const last = screen();
          if (matches(last)) return last;
          const label = what ?? (typeof check === "function" ? "the expected screen" : JSON.stringify(String(check)));
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}; the last frame was:\n${redactSecrets(last)}`);
        }
      }
    },
    table: () => readTable(screen(), options.size?.columns ?? SCREEN_WIDTH).rows,
    details: () => detailsOf(screen()),
    copied,
    unmount: () => {
      instance.unmount();
      instance.cleanup();
    },
  };
  return dashboard;
}
