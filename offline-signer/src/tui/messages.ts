/** What the status line shows: a one-line outcome, or an error with its hint. Never a stack trace. */
import { describeError } from "@airlock/shared";

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
