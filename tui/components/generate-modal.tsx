/**
 * The "Generate API Key" modal: Name / Purpose (required), Scopes (from the service's catalogue; least
 * privilege preselected) and Expired At (optional), then the full key, once (SecretReveal). Closing hands
 * back only the new key's row; the secret dies with this component.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { Box, Text, useInput } from "ink";
import { Spinner } from "@inkjs/ui";
import type { DashboardClient } from "../client/dashboard-client.js";
import { describeProblem, type Problem } from "../client/problems.js";
import { DEFAULT_SCOPES } from "../client/scope-catalogue.js";
import type { KeyRow, ScopeOption } from "../client/types.js";
import type { Clipboard } from "../clipboard.js";
import { expiryExamples, formatDateTime, parseExpiry, type Clock } from "../dates.js";
import { generateReducer, initialGenerateState, type GenerateFocus } from "../state/generate-flow.js";
import { FormField, LABEL_WIDTH } from "./form-field.js";
import { MODAL_MAX_WIDTH, ModalFrame } from "./modal-frame.js";
import { ScopeChoice } from "./scope-choice.js";
import { SecretReveal } from "./secret-reveal.js";
import { TextField } from "./text-field.js";

/** Props of GenerateModal. */
export interface GenerateModalProps {
  readonly client: DashboardClient;
  readonly baseUrl: string;
  readonly clipboard: Clipboard;
  readonly clock: Clock;
  readonly width: number;
  readonly height: number;
  /** Any failed call, so the connection status can react at once. */
  readonly onProblem: (problem: Problem) => void;
  /** Called when the modal closes: with the new key's row after a success, without when cancelled. */
  readonly onClose: (created?: KeyRow) => void;
}

/** The examples the manual gives for Name / Purpose. */
export const NAME_EXAMPLES = "e.g. Zapier_Main, CRM_Integration, Analytics_Export";

/** Lines of the modal besides the scope choice: frame, title, name, scopes note, expiry, button. */
const FIXED_LINES = 11;

/** The scopes a request or key carries, in words for the operator. */
export function scopeList(scopes: readonly string[]): string {
  return scopes.length === 0 ? "no scopes" : scopes.join(" ");
}

/** The modal. */
export function GenerateModal({ client, baseUrl, clipboard, clock, width, height, onProblem, onClose }: GenerateModalProps) {
  const [state, dispatch] = useReducer(generateReducer, DEFAULT_SCOPES, initialGenerateState);
  const [catalogue, setCatalogue] = useState<readonly ScopeOption[]>();
  const [catalogueError, setCatalogueError] = useState<string>();
  const isMounted = useRef(true);
  useEffect(() => () => void (isMounted.current = false), []);

  useEffect(() => {
    const controller = new AbortController();
    client.listScopes(controller.signal).then(
      (options) => isMounted.current && setCatalogue(options),
      (thrown: unknown) => {
        if (!isMounted.current) return;
        const problem = describeProblem(thrown, "scopes", baseUrl);
        if (problem.kind === "cancelled") return;
        onProblem(problem);
        setCatalogueError(problem.message);
      },
    );
    return () => controller.abort();
  }, [client, baseUrl, onProblem]);

  const fail = (thrown: unknown) => {
    if (!isMounted.current) return;
    const problem = describeProblem(thrown, "generate", baseUrl);
    onProblem(problem);
    dispatch({ type: "failed", problem });
  };
  const request = state.step === "checking" || state.step === "submitting" ? state.request : undefined;
  const step = state.step;
  useEffect(() => {
    if (!request) return;
    if (step === "checking") {
      client.findKeysNamed(request.name).then((sameName) => isMounted.current && dispatch({ type: "checked", sameName }), fail);
    } else if (step === "submitting") {
      client.generate(request).then((generated) => isMounted.current && dispatch({ type: "succeeded", generated }), fail);
    }
    // `fail` only reads refs and stable props.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, request, step]);

  const onScopesChange = useCallback(
    (scopes: string[]) => dispatch({ type: "set-scopes", scopes: (catalogue ?? []).map((option) => option.name).filter((name) => scopes.includes(name)) }),
    [catalogue],
  );
  const onNameChange = useCallback((value: string) => dispatch({ type: "edit", field: "name", value }), []);
  const onExpireChange = useCallback((value: string) => dispatch({ type: "edit", field: "expire", value }), []);

  const focus: GenerateFocus | undefined = state.step === "editing" ? state.focus : undefined;
  useInput(
    (_input, key) => {
      const isInSelect = focus === "scopes"; // the scope list owns ↑↓, Space and Enter (also while it loads)
      if (key.escape) onClose();
      else if ((key.tab && key.shift) || (key.upArrow && !isInSelect)) dispatch({ type: "focus", to: "previous" });
      else if (key.tab || (key.downArrow && !isInSelect)) dispatch({ type: "focus", to: "next" });
      else if (key.return && !isInSelect) {
        if (focus === "name") dispatch({ type: "focus", to: "next" });
        else dispatch({ type: "submit", now: clock() });
      }
    },
    { isActive: state.step === "editing" },
  );

  if (state.step === "shown") {
    const { key, secret } = state.generated;
    return (
      <ModalFrame title="Generate API Key" color="green" width={width} height={height}>
        <SecretReveal
          summary={
            <Text wrap="wrap">
              <Text color="green">✔</Text> Generated {key.id} · {key.name} · {scopeList(key.scopes)} ·{" "}
              {key.expireTime ? `expires ${formatDateTime(key.expireTime)}` : "never expires"}
            </Text>
          }
          keyId={key.id}
          secret={secret}
          clipboard={clipboard}
          onClose={() => onClose(key)}
        />
      </ModalFrame>
    );
  }

  const now = clock();
  const expiry = parseExpiry(state.expireText, now);
  const expiryNote =
    state.expireText.trim() === ""
      ? `Optional: empty never expires. Or e.g. ${expiryExamples(now)}`
      : expiry.ok
        ? `= ${expiry.meaning}`
        : expiry.isPast
          ? expiry.error
          : "(not readable yet)";
  const isSomeNotHeld = catalogue?.some((scope) => !scope.isHeld) ?? false;
  const scopesNote = `${isSomeNotHeld ? "✗ = your key lacks it, so it cannot give it · " : "Space selects · only what it needs: "}now ${scopeList(state.scopes)}`;
  // Inside the frame: border and padding (4), the field's marker and label.
  const inputWidth = Math.min(width, MODAL_MAX_WIDTH) - 4 - 2 - LABEL_WIDTH;
  return (
    <ModalFrame title="Generate API Key" color="green" width={width} height={height}>
      <FormField label="Name / Purpose" isFocused={focus === "name"} note={NAME_EXAMPLES} error={state.errors.name} warning={state.errors.nameWarning}>
        <TextField isFocused={focus === "name"} value={state.name} placeholder="what the key is for" onChange={onNameChange} />
      </FormField>
      <FormField label="Scopes" isFocused={focus === "scopes"} note={catalogueError ? `✖ ${catalogueError}` : scopesNote} error={state.errors.scopes}>
        {catalogue ? (
          <ScopeChoice
            catalogue={catalogue}
            value={state.scopes}
            isFocused={focus === "scopes"}
            // A message wraps to a second line at most: keep room for it.
            rows={height - FIXED_LINES - (state.errors.form ? 2 : 0) - (state.errors.name || state.errors.nameWarning || state.errors.expire ? 1 : 0)}
            width={inputWidth}
            onChange={onScopesChange}
            onSubmit={() => dispatch({ type: "focus", to: "next" })}
          />
        ) : catalogueError ? (
          <Text color="red">the scope catalogue could not be loaded</Text>
        ) : (
          <Spinner label="Loading scopes…" />
        )}
      </FormField>
      <FormField label="Expired At" isFocused={focus === "expire"} note={expiryNote} error={state.errors.expire}>
        <TextField isFocused={focus === "expire"} value={state.expireText} placeholder="never" onChange={onExpireChange} />
      </FormField>
      <Box marginTop={1}>
        {state.step === "checking" || state.step === "submitting" ? (
          <Spinner label={state.step === "checking" ? "Checking the name…" : "Generating…"} />
        ) : (
          <Text inverse={focus === "submit"} bold color="green">
            {" [ Generate Key ] "}
          </Text>
        )}
        <Text dimColor> {state.scopes.length > 0 ? `gives ${scopeList(state.scopes)}` : ""}</Text>
      </Box>
      {state.errors.form ? (
        <Text wrap="wrap" color="red">
          ✖ {state.errors.form}
        </Text>
      ) : null}
    </ModalFrame>
  );
}
