/** One labelled field of a dialog: the label (marked while focused), the input, and under it a note, a warning or an error. */
import type { ReactNode } from "react";
import { Box, Text } from "ink";

/** Width of the labels, so inputs line up. */
export const LABEL_WIDTH = 16;

/** Props of FormField. */
export interface FormFieldProps {
  readonly label: string;
  readonly isFocused: boolean;
  readonly children: ReactNode;
  /** What to type, or how the input was understood. */
  readonly note: string;
  readonly error?: string;
  readonly warning?: string;
}

/** The field. */
export function FormField({ label, isFocused, children, note, error, warning }: FormFieldProps) {
  return (
    <Box flexDirection="column">
      <Box>
        <Box width={2} flexShrink={0}>
          <Text color="cyan">{isFocused ? "›" : " "}</Text>
        </Box>
        <Box width={LABEL_WIDTH} flexShrink={0}>
          <Text bold={isFocused}>{label}</Text>
        </Box>
        <Box flexGrow={1}>{children}</Box>
      </Box>
      <Box paddingLeft={2 + LABEL_WIDTH}>
        {error ? (
          <Text wrap="wrap" color="red">
            ✖ {error}
          </Text>
        ) : warning ? (
          <Text wrap="wrap" color="yellow">
            ! {warning}
          </Text>
        ) : (
          <Text wrap="wrap" dimColor>
            {note}
          </Text>
        )}
      </Box>
    </Box>
  );
}
