/** What the status line shows: a one-line outcome, or an error with its hint. Never a stack trace. */
import { describeError } from "@airlock/shared";
import type { Vault } from "../vault/vault.js";

export interface Message {
  readonly kind: "info" | "error";
  readonly text: string;
  readonly hint?: string | undefined;
}

export const info = (text: string): Message => ({ kind: "info", text });

export function errorMessage(e: unknown): Message {
  const r = describeError(e);
  // Only the first line: the status line is one line, and later lines are detail for logs.
  return { kind: "error", text: r.message.split("\n")[0] ?? r.message, hint: r.hint };
}

/** What running a vault action came to: its own one-line outcome, or the error it threw. */
export function outcomeOf(action: () => string): Message {
  try {
    return info(action());
  } catch (e) {
    return errorMessage(e);
  }
}

/** " It waits for k admin approvals." when `entry` became a proposal rather than a change. */
export function pendingNote(vault: Vault, entry: string): string {
  const state = vault.state();
  return state.proposals.has(entry) ? ` It waits for ${state.approvalsRequired} admin approvals (p shows them).` : "";
}

/** Marks an error as being about one form field, so the form shows it under that field. */
export function onField<E extends Error>(field: string, error: E): E {
  return Object.assign(error, { field });
}

/** The form field an error is about (see onField), if it names one. */
export function fieldOf(e: unknown): string | undefined {
  const field = typeof e === "object" && e !== null && "field" in e ? (e as { field: unknown }).field : undefined;
  return typeof field === "string" ? field : undefined;
}
