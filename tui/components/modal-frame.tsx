/** The frame every dialog that takes the table's place draws: a rounded box with a title, at most 78 columns wide. */
import type { ReactNode } from "react";
import { Box, Text } from "ink";

/** Props of ModalFrame. */
export interface ModalFrameProps {
  readonly title: string;
  /** Green for making keys, yellow for changing them, red for revoking. */
  readonly color: "green" | "yellow" | "red" | "cyan";
  /** The terminal's width. */
  readonly width: number;
  /** The lines the dialog may take (the table's). */
  readonly height: number;
  readonly children: ReactNode;
}

/** The widest a dialog gets (it stays readable on wide terminals). */
export const MODAL_MAX_WIDTH = 78;

/** The frame. */
export function ModalFrame({ title, color, width, height, children }: ModalFrameProps) {
  return (
    <Box height={height} flexShrink={0} justifyContent="center">
      <Box flexDirection="column" width={Math.min(width, MODAL_MAX_WIDTH)} borderStyle="round" borderColor={color} paddingX={1} alignSelf="flex-start">
        <Text bold color={color}>
          {title}
        </Text>
        {children}
      </Box>
    </Box>
  );
}
