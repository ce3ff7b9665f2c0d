/** Every key the dashboard answers, by screen: the single source of the help bar and the help overlay. */

/** One key and what it does. */
export interface KeyBinding {
  readonly keys: string;
  readonly action: string;
  /** Shown only when the help bar has room (the essential ones always fit 80 columns). */
  readonly isOptional?: boolean;
}

/** The list's keys, most used first. */
export const LIST_BINDINGS: readonly KeyBinding[] = [
  { keys: "?", action: "help" },
  { keys: "g", action: "generate" },
  { keys: "r", action: "revoke" },
  { keys: "f", action: "filter" },
  { keys: "x", action: "clear" },
  { keys: "1-5", action: "sort" },
  { keys: "↑↓", action: "move", isOptional: true },
  { keys: "PgUp/Dn", action: "page" },
  { keys: "Home/End", action: "first/last", isOptional: true },
  { keys: "q", action: "quit" },
];

/** The filter panel's keys. */
export const FILTER_BINDINGS: readonly KeyBinding[] = [
  { keys: "Tab/↑↓", action: "field" },
  { keys: "Ctrl+U", action: "clear field" },
  { keys: "Enter/Esc", action: "back to the list" },
  { keys: "Ctrl+C", action: "quit", isOptional: true },
];

/** The Generate modal's keys while editing. */
export const MODAL_BINDINGS: readonly KeyBinding[] = [
  { keys: "Tab", action: "field" },
  { keys: "Space", action: "choose scope" },
  { keys: "Enter", action: "next / generate" },
  { keys: "Ctrl+U", action: "clear field", isOptional: true },
  { keys: "Esc", action: "cancel" },
];

/** The revoke prompt's keys. */
export const REVOKE_BINDINGS: readonly KeyBinding[] = [
  { keys: "y", action: "revoke" },
  { keys: "n/Esc/Enter", action: "cancel" },
];

/** The help overlay's sections. */
export const HELP_SECTIONS: readonly { readonly title: string; readonly bindings: readonly KeyBinding[] }[] = [
  {
    title: "List",
    bindings: [
      { keys: "↑ ↓  j k", action: "select a key (past the last row: next page)" },
      { keys: "PgDn PgUp  → ←  n p", action: "next / previous page (pages come from the service)" },
      { keys: "Home  End", action: "first key of the list / last key of the page" },
      { keys: "Ctrl+R", action: "refresh now (also retries a lost connection)" },
      { keys: "q  Ctrl+C", action: "quit" },
    ],
  },
  {
    title: "Sort (the same key again reverses)",
    bindings: [
      { keys: "1", action: "Name / Purpose, A–Z / Z–A" },
      { keys: "2", action: "Created at, earliest / latest first" },
      { keys: "3", action: "Last used at, earliest / latest first (never: last)" },
      { keys: "4", action: "Expiration date, soonest / latest first (never: last)" },
      { keys: "5", action: "Status, Active / Inactive first" },
      { keys: "0", action: "back to newest first" },
    ],
  },
  {
    title: "Keys and filters",
    bindings: [
      { keys: "g", action: "Generate Key (name, scopes, optional expiry)" },
      { keys: "r", action: "revoke the selected key (asks first)" },
      { keys: "f  /", action: "filters (Tab/↑↓ fields; a pasted key finds its row)" },
      { keys: "Ctrl+U  Home  End", action: "in a text field: clear it / start / end" },
      { keys: "x", action: "clear every filter" },
      { keys: "?  Esc", action: "this help / close it" },
    ],
  },
];
