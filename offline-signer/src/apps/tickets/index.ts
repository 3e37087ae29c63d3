/**
 * The tickets app: its module and the replicated check. What the check holds, on every vault at
 * the batch's causal position (docs/apps.md, "Tickets"):
 * - status and priority are among their values, the due date a real calendar date, labels
 *   free of control characters and outer spaces;
 * - the assignee is a member active then; the reporter is set only in the batch that creates the
 *   ticket (with its "created" history item), only by its creator, whom the ticket's id names;
 * - a comment item's id names the author's user, so a comment is written and edited by its
 *   author only; a history item names the author's user;
 * - every batch that changes a ticket adds a history item for it, so no change goes unrecorded.
 * Which status may follow which needs the ticket's current status, which differs between vaults
 * mid-sync: the commands enforce it (write.ts); the fold stays last-writer-wins.
 */
import type { AppModule, CheckContext, Intent } from "../app.js";
import { TICKETS_SCHEMA } from "./schema.js";
import { dueProblem, historyItem, isPriority, isStatus, labelProblem, parseComment, parseHistory, ticketAuthor } from "./ticket.js";

const text = (v: unknown): string => (typeof v === "string" ? v : "");

function opProblem(x: Intent, me: string, context: CheckContext): string | undefined {
  if (x.kind === "delete" || x.kind === "remove") return undefined;
  const v = x.value;
  switch (x.field) {
    case "status":
      return isStatus(v) ? undefined : "status must be one of open, in progress, blocked, done";
    case "priority":
      return isPriority(v) ? undefined : "priority must be one of low, normal, high, urgent";
    case "due":
      return v === null ? undefined : typeof v === "string" ? (dueProblem(v) === undefined ? undefined : `due date ${dueProblem(v)!}`) : "due date must be text";
    case "assignee":
      if (v === null) return undefined;
      // A snapshot restates an assignment made when the assignee was a member.
      if (context.snapshot === true) return typeof v === "string" && context.state.users.has(v) ? undefined : "the assignee is not a member";
      return typeof v === "string" && context.state.users.get(v)?.active === true ? undefined : "the assignee is not an active member";
    case "reporter":
      if (context.snapshot === true) return undefined;
      if (ticketAuthor(x.record) !== me) return "the reporter is set only by the member who opened the ticket, whom its id names";
      return v === me ? undefined : "the reporter must be the author's own user";
    case "labels": {
      const why = typeof v === "string" ? labelProblem(v) : "is not text";
      return why === undefined ? undefined : `a label ${why}`;
    }
    case "comments": {
      const c = parseComment(v);
      if (c === undefined) return "a comment is malformed";
      return c.user === me || context.snapshot === true ? undefined : "a comment may be written and edited only by its author";
    }
    case "history": {
      const h = parseHistory(v);
      if (h === undefined) return "a history entry is malformed";
      return h.user === me || context.snapshot === true ? undefined : "a history entry must name its author";
    }
    default:
      return undefined;
  }
}

export const ticketsApp: AppModule = {
  schema: TICKETS_SCHEMA,
  label: "Tickets",
  noun: "ticket",
  searchText: (r) => ({
    title: text(r.fields["title"]),
    body: [text(r.fields["description"]), ...(r.sets["labels"] ?? []).map(text), ...(r.lists["comments"] ?? []).map((c) => parseComment(c)?.body ?? "")].join("\n"),
  }),
  summary: (r) => text(r.fields["title"]),
  // Attaching or removing a file is a change like any other: it goes into the ticket's history.
  fileChange: (record, c) => [{ kind: "append", record, field: "history", value: historyItem(c.user, c.at, `${c.action} ${c.name}`) }],
  check(intents: readonly Intent[], context: CheckContext): string | undefined {
    const me = context.state.devices.get(context.author)?.user;
    if (me === undefined) return "the author's device is not in the team";
    const changed = new Set<string>();
    const logged = new Set<string>();
    const created = new Set<string>();
    const reported: string[] = [];
    for (const [i, x] of intents.entries()) {
      const why = opProblem(x, me, context);
      if (why !== undefined) return `op ${i}: ${why}`;
      if (x.kind === "delete") continue;
      (x.field === "history" ? logged : changed).add(x.record);
      if (x.field === "history" && parseHistory(x.value)?.what === "created") created.add(x.record);
      if (x.field === "reporter") reported.push(x.record);
    }
    // The reporter is written once, with the ticket: never by a later batch, even the creator's.
    if (context.snapshot !== true) for (const r of reported) if (!created.has(r)) return `the reporter of ticket ${r} is set only in the batch that creates it`;
    // A snapshot keeps each field's last value and the whole history list, not one entry per batch.
    if (context.snapshot !== true) for (const r of changed) if (!logged.has(r)) return `a change to ticket ${r} without a history entry`;
    return undefined;
  },
};
