/**
 * Renders the real dashboard App with ink-testing-library against a real service, and drives it
 * like an operator: keys written to stdin, assertions on the plain-text frame via waitFor (no
 * sleeps). Frames quoted in failures are redacted: a full key never reaches the test output.
 */
import { stripVTControlCharacters } from "node:util";
import { render } from "ink-testing-library";
import { App } from "../../../tui/app.js";
import type { Clipboard } from "../../../tui/clipboard.js";
import { createDashboardTransport } from "../../../tui/client/transport.js";
import type { DiscoveredKey } from "../../../tui/config.js";
import type { Clock } from "../../../tui/dates.js";
import type { ListTiming } from "../../../tui/hooks/use-key-list.js";
import { KEYS, redactSecrets } from "./keys.js";
import { readTable, type ScreenRow } from "./screen-table.js";

/** ink-testing-library's terminal is 100 columns wide; the rows come from LINES (see below). */
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
  /** The current screen as one line of words: wrapped sentences and boxed text read whole. */
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

/** Renders the dashboard for `baseUrl`, logged in with `apiKey` (or at the key prompt without one). */
export function renderDashboard(options: {
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly source?: DiscoveredKey["source"];
  readonly timing?: ListTiming;
  readonly callTimeoutMs?: number;
  /** The dashboard's clock (the real time when omitted). */
  readonly clock?: Clock;
}): DashboardUnderTest {
  const copied: string[] = [];
  const clipboard: Clipboard = {
    copy(text) {
      copied.push(text);
      return true;
    },
  };
  const instance = render(
    <App
      baseUrl={options.baseUrl}
      transportFor={(apiKey) => createDashboardTransport({ baseUrl: options.baseUrl, apiKey, timeoutMs: options.callTimeoutMs ?? 5_000 })}
      initialKey={options.apiKey ? { apiKey: options.apiKey, source: options.source ?? "TOKENIZER_API_KEY" } : undefined}
      adminKeyPath="/srv/tokenizer/data/admin.key"
      clipboard={clipboard}
      timing={options.timing ?? TEST_TIMING}
      clock={options.clock}
    />,
  );
  const screen = () => stripVTControlCharacters(instance.lastFrame() ?? "");
  const dashboard: DashboardUnderTest = {
    screen,
    text: () => flatten(screen()),
    screens: () => instance.frames.map((frame) => stripVTControlCharacters(frame)),
    async press(...keys) {
      // A screen that just appeared subscribes to input in an effect that runs after it is drawn:
      // give it that moment, as a person's reaction time would.
      await new Promise((resolve) => setTimeout(resolve, 30));
      for (const key of keys) {
        instance.stdin.write(key);
        // One event per write: Ink reads a chunk of several keys as typed text. A lone Esc waits
        // 20 ms for more bytes (Esc then "x" within that is Alt+x), so it gets a longer pause.
        await new Promise((resolve) => setTimeout(resolve, key === KEYS.escape ? 60 : 15));
      }
    },
    async waitFor(check, what, timeoutMs = 10_000) {
      const matches = (text: string) =>
        typeof check === "string" ? flatten(text).includes(flatten(check)) : check instanceof RegExp ? check.test(text) : check(text);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = screen();
        if (matches(text)) return text;
        if (Date.now() > deadline) {
          const label = what ?? (typeof check === "function" ? "the expected screen" : JSON.stringify(String(check)));
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}; the screen was:\n${redactSecrets(text)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    table: () => readTable(screen(), SCREEN_WIDTH).rows,
    details: () => detailsOf(screen()),
    copied,
    unmount: () => {
      instance.unmount();
      instance.cleanup();
    },
  };
  return dashboard;
}
