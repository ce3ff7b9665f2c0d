/**
 * Copying the new key without a clipboard program: the OSC 52 terminal sequence, which the terminal
 * (or tmux with `set -g set-clipboard on`) puts on the system clipboard. Works over SSH too. The key
 * stays on screen as plain text, so it can also be selected by hand where OSC 52 is off.
 */

/** Somewhere to copy text to. */
export interface Clipboard {
  /** Copies `text`; returns false when it could not even try. */
  copy(text: string): boolean;
}

/** The OSC 52 "set clipboard" sequence for `text`. */
export function osc52Sequence(text: string): string {
  return `\x1b]52;c;${Buffer.from(text, "utf8").toString("base64")}\x07`;
}

/** A clipboard that writes OSC 52 to `stream` (the terminal). */
export function createOsc52Clipboard(stream: NodeJS.WritableStream): Clipboard {
  return {
    copy(text) {
      // No visible characters: the sequence does not disturb the frame Ink drew.
      return stream.write(osc52Sequence(text)) || true;
    },
  };
}
