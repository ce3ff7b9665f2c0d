/** Moving around the list as an operator does: arrow keys until the wanted row is selected. */
import { KEYS } from "./keys.js";
import type { DashboardUnderTest } from "./render-dashboard.js";

/** Selects the row of key `id` (on the page shown) with ↑/↓ and waits until it is selected. */
export async function selectRow(ui: DashboardUnderTest, id: string): Promise<void> {
  await ui.waitFor(() => ui.table().some((row) => row.id === id), `${id} in the list`);
  const rows = ui.table();
  const delta = rows.findIndex((row) => row.id === id) - rows.findIndex((row) => row.isSelected);
  await ui.press(...Array.from({ length: Math.abs(delta) }, () => (delta > 0 ? KEYS.down : KEYS.up)));
  await ui.waitFor(() => ui.table().find((row) => row.id === id)?.isSelected === true, `${id} selected`);
}
