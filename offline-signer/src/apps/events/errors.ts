/** Typed errors of the events app: stable codes, one-line reasons that never quote event data, hints. */
import { AirlockError } from "@airlock/shared";

export const EVENTS_HINTS = {
  EVENTS_BAD_EVENT: "check the times (YYYY-MM-DDTHH:MM in --tz, or dates with --all-day), the zone name and the RRULE (docs/apps.md, Events)",
  EVENTS_NO_OCCURRENCE: "list the event's occurrences with: airlock events agenda --from DATE --to DATE, and name one by its original start",
  EVENTS_UNKNOWN_ATTENDEE: "name a current member as the team lists them: airlock members list",
  EVENTS_IMPORT_MALFORMED: "nothing was imported; fix or remove the named line, or export the calendar again as iCalendar (.ics) in UTF-8",
  EVENTS_IMPORT_TOO_LARGE: "nothing was imported; split the file into parts of at most 16 MiB and 20,000 events",
} as const;
export type EventsErrorCode = keyof typeof EVENTS_HINTS;

export function eventsError(code: EventsErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: EVENTS_HINTS[code], cause });
}
