/** The events app: module description and its replicated check; records <-> CalEvent in record.ts. */
import type { AppModule, CheckContext, Intent } from "../app.js";
import { EVENTS_SCHEMA } from "./schema.js";
import { EARLY_REASON, beforeMinYear, isDate, isWall, isZoneName, overrideProblem, rruleProblem } from "./syntax.js";

const text = (v: unknown): string => (typeof v === "string" ? v : "");

/**
 * Why one op breaks the events rules, or undefined. Syntax only, and the team at the batch's
 * causal position for attendees: no tz database (zone names are checked for form, and an unknown
 * one reads as UTC with a warning), no clock, no record state (a start and an end written in
 * different batches are compared when reading).
 */
function opProblem(x: Intent, context: CheckContext): string | undefined {
  if (x.kind === "delete" || x.kind === "remove") return undefined;
  const v = x.value;
  if (v === null) return x.field === "title" || x.field === "start" || x.field === "end" ? `${x.field} may not be cleared` : undefined;
  const s = text(v);
  switch (x.field) {
    case "start":
    case "end":
    case "exdates":
    case "rdates":
      return isWall(s) || isDate(s) ? undefined : beforeMinYear(s) ? EARLY_REASON : "is not a date or a wall-clock time";
    case "tz":
      return isZoneName(s) ? undefined : "is not an IANA zone name";
    case "rrule": {
      const why = rruleProblem(s);
      return why === undefined ? undefined : `RRULE ${why}`;
    }
    case "overrides":
      return overrideProblem(s);
    case "attendees": {
      const user = context.state.users.get(s);
      // A snapshot restates an invitation made while the attendee was a member.
      if (context.snapshot === true) return user !== undefined ? undefined : "is not a member of the team";
      return user?.active === true ? undefined : "is not a member of the team";
    }
    default:
      return undefined;
  }
}

export const eventsApp: AppModule = {
  schema: EVENTS_SCHEMA,
  label: "Calendar",
  noun: "event",
  searchText: (r) => ({
    title: text(r.fields["title"]),
    body: [text(r.fields["location"]), ...(r.sets["guests"] ?? []).map(text), text(r.fields["notes"])].join("\n"),
  }),
  summary: (r) => {
    const start = text(r.fields["start"]).replace("T", " ").slice(0, 16);
    return `${text(r.fields["title"])} · ${start}${typeof r.fields["rrule"] === "string" || (r.sets["rdates"] ?? []).length > 0 ? " (repeats)" : ""}`;
  },
  check(intents: readonly Intent[], context: CheckContext): string | undefined {
    for (const [i, x] of intents.entries()) {
      const why = opProblem(x, context);
      if (why !== undefined) return `op ${i}: ${x.kind === "delete" ? "" : x.field} ${why}`;
    }
    return undefined;
  },
};
