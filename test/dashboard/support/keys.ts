/** The byte sequences a terminal sends for the keys the dashboard uses (what tests write to stdin). */
export const KEYS = {
  up: "\u001B[A",
  down: "\u001B[B",
  right: "\u001B[C",
  left: "\u001B[D",
  pageUp: "\u001B[5~",
  pageDown: "\u001B[6~",
  home: "\u001B[H",
  tab: "\t",
  shiftTab: "\u001B[Z",
  enter: "\r",
  escape: "\u001B",
  ctrlR: "\u0012",
  backspace: "\u007F",
  end: "\u001B[F",
  ctrlU: "\u0015",
} as const;

const SECRET = /tek_[0-9A-Za-z]{36}/g;

/** Replaces every full key in `text` so that no failure message or log ever prints one. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET, "tek_<redacted>");
}

/** The full keys in `text`. */
export function secretsIn(text: string): string[] {
  return text.match(SECRET) ?? [];
}
