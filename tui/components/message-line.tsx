/** The outcome of the last action (or a problem to act on), two lines at most, with @inkjs/ui's status icon. */
import { Box } from "ink";
import { StatusMessage } from "@inkjs/ui";

/** A message for the operator. */
export interface Notice {
  readonly variant: "success" | "error" | "warning" | "info";
  readonly text: string;
}

/** Lines the message area always takes, so the table does not jump. */
export const MESSAGE_HEIGHT = 2;

/** The message area. */
export function MessageLine({ notice }: { readonly notice?: Notice }) {
  return (
    <Box height={MESSAGE_HEIGHT} overflow="hidden" flexShrink={0}>
      {notice ? <StatusMessage variant={notice.variant}>{notice.text}</StatusMessage> : null}
    </Box>
  );
}
