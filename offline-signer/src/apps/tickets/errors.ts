/** Typed errors of the tickets app: stable codes, one-line reasons, hints. */
import { AirlockError } from "@airlock/shared";

export const TICKETS_HINTS = {
  TICKETS_BAD_VALUE: "see airlock tickets add --help for the values each flag takes",
  TICKETS_BAD_TRANSITION: "open → in progress, blocked, done; in progress → open, blocked, done; blocked → open, in progress, done; done → open (reopen first)",
  TICKETS_NOT_YOURS: "only a comment's author may edit it; add a comment of your own instead",
  TICKETS_NO_COMMENT: "the comment ids are listed by airlock tickets show ID",
} as const;
export type TicketsErrorCode = keyof typeof TICKETS_HINTS;

export function ticketsError(code: TicketsErrorCode, message: string): AirlockError {
  return new AirlockError(code, message, { hint: TICKETS_HINTS[code] });
}
