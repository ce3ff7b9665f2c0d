/**
 * The `?` overlay (the whole screen, so it fits 80×24): every key in two columns, grouped, plus what the
 * marks in the table mean. Any of Esc, ?, q or Enter closes it.
 */
import { Box, Text, useInput } from "ink";
import { NEAR_EXPIRY_DAYS } from "../dates.js";
import { HELP_SECTIONS } from "./key-bindings.js";

/** Props of HelpOverlay. */
export interface HelpOverlayProps {
  readonly width: number;
  readonly height: number;
  readonly onClose: () => void;
}

const KEYS_WIDTH = 10;

/** The overlay. */
export function HelpOverlay({ width, height, onClose }: HelpOverlayProps) {
  useInput((input, key) => {
    if (key.escape || key.return || input === "?" || input === "q") onClose();
  });
  const columnWidth = Math.floor((width - 2) / 2);
  return (
    <Box flexDirection="column" height={height} overflow="hidden" paddingX={1} flexShrink={0}>
      <Text bold>
        Tokenizer.Estate · API Access — keys <Text dimColor>(Esc, ? or q closes)</Text>
      </Text>
      <Box>
        {([0, 1] as const).map((column) => (
          <Box key={column} flexDirection="column" width={columnWidth} flexShrink={0}>
            {HELP_SECTIONS.filter((section) => section.column === column).map((section) => (
              <Box key={section.title} flexDirection="column" marginTop={1}>
                <Text color="cyan" wrap="truncate-end">
                  {section.title}
                </Text>
                {section.bindings.map((binding) => (
                  <Text key={binding.keys} wrap="truncate-end">
                    <Text bold>{binding.keys.padEnd(KEYS_WIDTH)}</Text>
                    {binding.action}
                  </Text>
                ))}
              </Box>
            ))}
          </Box>
        ))}
      </Box>
      <Box marginTop={1}>
        <Text wrap="wrap" dimColor>
          Marks: ▲/▼ current sort, ↕ sortable · "!" expires within {NEAR_EXPIRY_DAYS} days · ● marked for revoking · dim rows are Inactive · empty Last used = never used
        </Text>
      </Box>
    </Box>
  );
}
