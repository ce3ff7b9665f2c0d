/** Every key the dashboard answers, by screen: the single source of the help bar and the help overlay. */

/** One key and what it does. */
export interface KeyBinding {
  readonly keys: string;
  readonly action: string;
  /** Shown only when the help bar has room (the essential ones always fit 80 columns). */
  readonly isOptional?: boolean;
}

/** The list's keys, most used first; at 80 columns the essential ones fit, the `?` overlay has them all. */
export const LIST_BINDINGS: readonly KeyBinding[] = [
  { keys: "?", action: "help" },
  { keys: "g", action: "generate" },
  { keys: "r", action: "revoke" },
  { keys: "R", action: "roll" },
  { keys: "e", action: "edit" },
  { keys: "Space", action: "mark" },
  { keys: "d", action: "details" },
  { keys: "a", action: "audit" },
  { keys: "f", action: "filter", isOptional: true },
  { keys: "q", action: "quit", isOptional: true },
  { keys: "x", action: "clear", isOptional: true },
  { keys: "1-6", action: "sort", isOptional: true },
  { keys: "↑↓", action: "move", isOptional: true },
  { keys: "PgUp/Dn", action: "page", isOptional: true },
  { keys: "Home/End", action: "first/last", isOptional: true },
];

/** The list's keys while keys are marked: what to do with them comes first. */
export const MARKED_BINDINGS: readonly KeyBinding[] = [
  { keys: "r", action: "revoke marked" },
  { keys: "Space", action: "mark/unmark" },
  { keys: "Esc", action: "unmark all" },
  { keys: "?", action: "help" },
  { keys: "↑↓", action: "move" },
  { keys: "PgUp/Dn", action: "page", isOptional: true },
  { keys: "f", action: "filter", isOptional: true },
  { keys: "q", action: "quit", isOptional: true },
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

/** The prompt that revokes the marked keys. */
export const BATCH_REVOKE_BINDINGS: readonly KeyBinding[] = [
  { keys: "y", action: "revoke them all" },
  { keys: "n/Esc/Enter", action: "cancel" },
];

/** The Roll dialog's keys (the new key is then shown as after Generate, which says that c copies and y closes). */
export const ROLL_BINDINGS: readonly KeyBinding[] = [
  { keys: "Enter", action: "roll" },
  { keys: "Ctrl+U", action: "clear field" },
  { keys: "Esc", action: "cancel" },
];

/** The Edit dialog's keys. */
export const EDIT_BINDINGS: readonly KeyBinding[] = [
  { keys: "Tab/↑↓", action: "field" },
  { keys: "Enter", action: "next / save" },
  { keys: "Ctrl+U", action: "clear field" },
  { keys: "Esc", action: "cancel" },
];

/** The key details' keys. */
export const DETAILS_BINDINGS: readonly KeyBinding[] = [
  { keys: "Esc/d", action: "back to the list" },
  { keys: "PgUp/Dn", action: "history pages" },
  { keys: "a", action: "this key in the audit log" },
];

/** The audit view's keys. */
export const AUDIT_BINDINGS: readonly KeyBinding[] = [
  { keys: "Esc", action: "back" },
  { keys: "f", action: "filter" },
  { keys: "x", action: "clear" },
  { keys: "↑↓", action: "select" },
  { keys: "PgUp/Dn", action: "page" },
  { keys: "Home", action: "first page", isOptional: true },
  { keys: "Ctrl+R", action: "refresh", isOptional: true },
];

/** The audit view's filter panel. */
export const AUDIT_FILTER_BINDINGS: readonly KeyBinding[] = [
  { keys: "Tab/↑↓", action: "field" },
  { keys: "Ctrl+U", action: "clear field" },
  { keys: "Enter/Esc", action: "apply" },
];

/** The help overlay's sections, in two columns. */
export const HELP_SECTIONS: readonly { readonly title: string; readonly column: 0 | 1; readonly bindings: readonly KeyBinding[] }[] = [
  {
    title: "List",
    column: 0,
    bindings: [
      { keys: "↑↓ j k", action: "select a key" },
      { keys: "PgDn PgUp", action: "next / previous page" },
      { keys: "Home End", action: "first key / last on page" },
      { keys: "Ctrl+R", action: "refresh now" },
      { keys: "q Ctrl+C", action: "quit" },
    ],
  },
  {
    title: "Sort (the same key again reverses)",
    column: 0,
    bindings: [
      { keys: "1", action: "Name / Purpose, A–Z / Z–A" },
      { keys: "2", action: "Created at, oldest / newest" },
      { keys: "3", action: "Last used (never: last)" },
      { keys: "4", action: "Expiration (never: last)" },
      { keys: "5", action: "Status, Active / Inactive" },
      { keys: "6", action: "Uses (30 d), most / fewest" },
      { keys: "0", action: "back to newest first" },
    ],
  },
  {
    title: "Keys",
    column: 1,
    bindings: [
      { keys: "g", action: "Generate Key: name, scopes" },
      { keys: "R", action: "roll: new key, old one ends" },
      { keys: "e", action: "edit name or expiry" },
      { keys: "r", action: "revoke the selected key" },
      { keys: "Space", action: "mark; r then revokes all" },
      { keys: "Esc", action: "unmark all / clear message" },
      { keys: "d Enter", action: "details, usage, history" },
      { keys: "a", action: "the company's audit log" },
    ],
  },
  {
    title: "Filters and help",
    column: 1,
    bindings: [
      { keys: "f /", action: "filters (Tab/↑↓ fields)" },
      { keys: "x", action: "clear every filter" },
      { keys: "Ctrl+U", action: "in a text field: clear it" },
      { keys: "? Esc", action: "this help / close it" },
    ],
  },
];
