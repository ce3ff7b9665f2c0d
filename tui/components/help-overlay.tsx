/** The `?` overlay (the whole screen, so it fits 80×24): every key, grouped, plus what the marks in the table mean. Any of Esc, ?, q or Enter closes it. */
import { Box, Text, useInput } from "ink";
import { NEAR_EXPIRY_DAYS } from "../dates.js";
import { HELP_SECTIONS } from "./key-bindings.js";

/** Props of HelpOverlay. */
export interface HelpOverlayProps {
  readonly height: number;
  readonly onClose: () => void;
}

/** The overlay. */
export function HelpOverlay({ height, onClose }: HelpOverlayProps) {
  useInput((input, key) => {
    if (key.escape || key.return || input === "?" || input === "q") onClose();
  });
  return (
    <Box flexDirection="column" height={height} overflow="hidden" paddingX={1} flexShrink={0}>
      <Text bold>
        Tokenizer.Estate · API Access — keys <Text dimColor>(Esc, ? or q closes)</Text>
      </Text>
      {HELP_SECTIONS.map((section) => (
        <Box key={section.title} flexDirection="column">
          <Text color="cyan">{section.title}</Text>
          {section.bindings.map((binding) => (
            <Text key={binding.keys} wrap="truncate-end">
              {"  "}
              <Text bold>{binding.keys.padEnd(20)}</Text>
              {binding.action}
            </Text>
          ))}
        </Box>
      ))}
      <Text wrap="truncate-end" dimColor>
        Marks: ▲/▼ current sort, ↕ sortable · "!" expires within {NEAR_EXPIRY_DAYS} days · dim rows are Inactive · empty Last used = never used
      </Text>
    </Box>
  );
}
