/**
 * A key's verifications over the last 30 UTC days as a bar chart: valid uses per day (green, several
 * lines high) and, on a line of their own in red, the verifications refused because the key was
 * revoked or had expired; totals above, the first day and today below. While the service does not
 * count uses it says so instead.
 */
import { Box, Text } from "ink";
import { Spinner } from "@inkjs/ui";
import type { Problem } from "../client/problems.js";
import type { KeyUsage } from "../client/types.js";
import { formatUtcDay } from "../dates.js";
import { barLines } from "../usage-bars.js";

/** What is known of the usage. */
export type UsageLoad =
  | { readonly state: "loading" }
  | { readonly state: "loaded"; readonly usage: KeyUsage }
  | { readonly state: "failed"; readonly problem: Problem };

/** Props of UsageChart. */
export interface UsageChartProps {
  readonly load: UsageLoad;
  /** Lines of valid-use bars (the refused line, totals and dates come on top). */
  readonly barRows: number;
}

/** Lines the chart takes besides its bars: totals, the refused line, the dates. */
export const USAGE_EXTRA_LINES = 3;

const count = (value: number) => value.toLocaleString("en");

/** The chart. */
export function UsageChart({ load, barRows }: UsageChartProps) {
  const height = barRows + USAGE_EXTRA_LINES;
  if (load.state !== "loaded") {
    return (
      <Box flexDirection="column" height={height} flexShrink={0}>
        <Text bold>Usage · last 30 days (UTC)</Text>
        {load.state === "loading" ? (
          <Spinner label="Loading usage…" />
        ) : (
          <Text wrap="wrap" color={load.problem.kind === "unsupported" ? "yellow" : "red"}>
            {load.problem.kind === "unsupported" ? "Not available: " : "✖ "}
            {load.problem.message}
          </Text>
        )}
      </Box>
    );
  }
  const { usage } = load;
  const valid = usage.days.map((day) => day.valid);
  const refused = usage.days.map((day) => day.revoked + day.expired);
  const revoked = usage.days.reduce((sum, day) => sum + day.revoked, 0);
  const expired = usage.days.reduce((sum, day) => sum + day.expired, 0);
  const top = Math.max(0, ...valid);
  const refusedTop = Math.max(0, ...refused);
  const labelWidth = Math.max(7, count(top).length, count(refusedTop).length);
  // One column a day and a space between days, so neighbouring days read apart.
  const spaced = (line: string) => [...line].join(" ");
  const validLines = barLines(valid, barRows);
  const [refusedLine] = barLines(refused, 1);
  const first = usage.days[0];
  const axisWidth = usage.days.length * 2 - 1;
  const firstLabel = first ? formatUtcDay(first.start) : "";
  return (
    <Box flexDirection="column" height={height} flexShrink={0}>
      <Text wrap="truncate-end">
        <Text bold>Usage · last {usage.days.length} days (UTC)</Text> · <Text color="green">{count(usage.validCount)} valid</Text> ·{" "}
        <Text color={usage.refusedCount > 0 ? "red" : undefined}>
          {count(usage.refusedCount)} refused{usage.refusedCount > 0 ? ` (${count(revoked)} revoked, ${count(expired)} expired)` : ""}
        </Text>
        {usage.validCount + usage.refusedCount === 0 ? <Text dimColor> · no verifications</Text> : null}
      </Text>
      {validLines.map((line, index) => (
        <Text key={index} wrap="truncate-end">
          <Text dimColor>{(index === 0 ? count(top) : index === validLines.length - 1 ? "valid" : "").padStart(labelWidth)} ┤</Text>
          <Text color="green">{spaced(line)}</Text>
        </Text>
      ))}
      <Text wrap="truncate-end">
        <Text dimColor>{"refused".padStart(labelWidth)} ┤</Text>
        <Text color="red">{spaced(refusedLine ?? "")}</Text>
        {refusedTop > 0 ? <Text dimColor> max {count(refusedTop)}</Text> : null}
      </Text>
      <Text wrap="truncate-end" dimColor>
        {" ".repeat(labelWidth)} └{firstLabel}
        {"today".padStart(Math.max(0, axisWidth - firstLabel.length))}
      </Text>
    </Box>
  );
}
