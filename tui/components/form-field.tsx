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

/** A field's label in a column of `width`, after a marker while the field has the focus (dialogs and filter panels). */
export function FieldLabel({ label, isFocused, width }: { readonly label: string; readonly isFocused: boolean; readonly width: number }) {
  return (
    <>
      <Box width={2} flexShrink={0}>
        <Text color="cyan">{isFocused ? "›" : " "}</Text>
      </Box>
      <Box width={width} flexShrink={0}>
        <Text bold={isFocused}>{label}</Text>
      </Box>
    </>
  );
}

/** The field. */
export function FormField({ label, isFocused, children, note, error, warning }: FormFieldProps) {
  return (
    <Box flexDirection="column">
      <Box>
        <FieldLabel label={label} isFocused={isFocused} width={LABEL_WIDTH} />
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
