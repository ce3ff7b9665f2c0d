/** Moving the focus of a form: Tab and ↓ go to the next field, Shift+Tab and ↑ to the previous one, both round. */

/** Where the focus should go: a neighbour in the form's order, or a field by name. */
export type FocusMove<F extends string> = "next" | "previous" | F;

/** The field the focus lands on when it moves from `current` in a form whose fields come in `order`. */
export function movedFocus<F extends string>(order: readonly F[], current: F, to: FocusMove<F>): F {
  if (to !== "next" && to !== "previous") return to;
  const index = order.indexOf(current);
  const step = to === "next" ? 1 : -1;
  return order[(index + step + order.length) % order.length]!;
}
