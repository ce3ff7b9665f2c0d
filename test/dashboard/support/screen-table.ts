/**
 * Reads the key table back from a rendered screen (plain text), using the same column layout the
 * dashboard used, so tests can assert on cells ("Last used at is empty") instead of on substrings.
 */
import { COLUMN_GAP, GUTTER_WIDTH, tableLayout } from "../../../tui/components/table-layout.js";

/** One table row as shown. */
export interface ScreenRow {
  readonly isSelected: boolean;
  /** Marked (●) for revoking several at once. */
  readonly isMarked: boolean;
  readonly id: string;
  readonly name: string;
  readonly created: string;
  readonly lastUsed: string;
  readonly expires: string;
  readonly status: string;
  /** "Uses (30 d)", when the terminal is wide enough to show it. */
  readonly uses?: string;
  readonly actions: string;
}

/** The header line and the rows of the table on `screen`, rendered `width` columns wide. */
export function readTable(screen: string, width: number): { readonly header: string; readonly rows: ScreenRow[] } {
  const lines = screen.split("\n");
  const headerIndex = lines.findIndex((line) => line.includes("Key Identifier"));
  if (headerIndex < 0) return { header: "", rows: [] };
  const layout = tableLayout(width);
  const rows: ScreenRow[] = [];
  for (const line of lines.slice(headerIndex + 1)) {
    if (!/^[› ][● ] key_[0-9a-f]{12}/.test(line)) break;
    const cells: Record<string, string> = {};
    let offset = GUTTER_WIDTH;
    for (const column of layout.columns) {
      cells[column.id] = line.slice(offset, offset + column.width).trim();
      offset += column.width + COLUMN_GAP;
    }
    rows.push({
      isSelected: line.startsWith("›"),
      isMarked: line.charAt(1) === "●",
      id: cells.id!,
      name: cells.name!,
      created: cells.created!,
      lastUsed: cells.lastUsed!,
      expires: cells.expires!,
      status: cells.status!,
      uses: cells.uses,
      actions: cells.actions!,
    });
  }
  return { header: lines[headerIndex]!, rows };
}
