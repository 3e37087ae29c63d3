/**
 * What `airlock tickets …` and the TUI write: the fewest intents for a change plus one history
 * item per change, in the same batch (the check refuses a change without one). The rules that
 * need the ticket as it is now (which status may follow, whose comment this is) are held here,
 * at write time; the replicated check cannot see the record (docs/apps.md, "Tickets").
 */
import { randomBytes } from "node:crypto";
import type { Intent, RecordView } from "../app.js";
import { newRecordId } from "../ids.js";
import type { Vault } from "../../vault/vault.js";
import { ticketsError } from "./errors.js";
import { MAX_COMMENT, MAX_DESCRIPTION, MAX_HISTORY_WHAT, MAX_LABEL, MAX_TITLE, type Priority, type Status } from "./schema.js";
import { TRANSITIONS, newTicketId, commentItem, shortComment, dueProblem, historyItem, labelProblem, ticketOf } from "./ticket.js";

export interface NewTicket {
  readonly title: string;
  readonly description?: string | undefined;
  readonly priority?: Priority | undefined;
  /** A user id. */
  readonly assignee?: string | undefined;
  readonly due?: string | undefined;
  readonly labels?: readonly string[] | undefined;
}

export interface TicketEdit {
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly priority?: Priority | undefined;
  /** null clears it. */
  readonly due?: string | null | undefined;
  readonly addLabels?: readonly string[] | undefined;
  readonly removeLabels?: readonly string[] | undefined;
}

/** Who writes: this device's user id. */
export function myUser(vault: Vault): string {
  return vault.me().user.id;
}

const clip = (s: string): string => (s.length > 200 ? `${s.slice(0, 199)}…` : s);

function checkTitle(title: string): string {
  const t = title.trim();
  if (t === "") throw ticketsError("TICKETS_BAD_VALUE", "a ticket needs a title");
  if (/[\r\n]/.test(t)) throw ticketsError("TICKETS_BAD_VALUE", "the title must be one line");
  if (t.length > MAX_TITLE) throw ticketsError("TICKETS_BAD_VALUE", `the title is longer than ${MAX_TITLE} characters`);
  return t;
}

function checkDescription(d: string): string {
  if (d.length > MAX_DESCRIPTION) throw ticketsError("TICKETS_BAD_VALUE", `the description is longer than ${MAX_DESCRIPTION} characters`);
  return d;
}

function checkDue(due: string): string {
  const why = dueProblem(due);
  if (why !== undefined) throw ticketsError("TICKETS_BAD_VALUE", `--due ${why} (give YYYY-MM-DD)`);
  return due;
}

function checkLabel(label: string): string {
  const why = labelProblem(label) ?? (label.length > MAX_LABEL ? `is longer than ${MAX_LABEL} characters` : undefined);
  if (why !== undefined) throw ticketsError("TICKETS_BAD_VALUE", `a label ${why}`);
  return label;
}

/** Builds intents for one record with one history item per change. */
class Batch {
  readonly intents: Intent[] = [];
  constructor(
    readonly record: string,
    readonly me: string,
    readonly at: number,
  ) {}
  set(field: string, value: string | null, what: string): void {
    this.intents.push({ kind: "set", record: this.record, field, value });
    this.log(what);
  }
  log(what: string): void {
    this.intents.push({ kind: "append", record: this.record, field: "history", value: historyItem(this.me, this.at, what.slice(0, MAX_HISTORY_WHAT)) });
  }
}

export function createIntents(id: string, me: string, at: number, t: NewTicket): Intent[] {
  const b = new Batch(id, me, at);
  const title = checkTitle(t.title);
  b.log("created");
  b.intents.push(
    { kind: "set", record: id, field: "title", value: title },
    { kind: "set", record: id, field: "status", value: "open" },
    { kind: "set", record: id, field: "priority", value: t.priority ?? "normal" },
    { kind: "set", record: id, field: "reporter", value: me },
  );
  if (t.description !== undefined && t.description !== "") b.intents.push({ kind: "set", record: id, field: "description", value: checkDescription(t.description) });
  if (t.assignee !== undefined) b.set("assignee", t.assignee, `assignee: ${t.assignee}`);
  if (t.due !== undefined) b.intents.push({ kind: "set", record: id, field: "due", value: checkDue(t.due) });
  for (const l of new Set(t.labels ?? [])) b.intents.push({ kind: "add", record: id, field: "labels", value: checkLabel(l) });
  return b.intents;
}

/** Only what differs from `have`; an empty list when nothing would change. */
export function editIntents(have: RecordView, me: string, at: number, e: TicketEdit): Intent[] {
  const old = ticketOf(have);
  const b = new Batch(have.id, me, at);
  if (e.title !== undefined && checkTitle(e.title) !== old.title) b.set("title", checkTitle(e.title), `title: ${clip(checkTitle(e.title))}`);
  if (e.description !== undefined && checkDescription(e.description) !== old.description) b.set("description", e.description, "description changed");
  if (e.priority !== undefined && e.priority !== old.priority) b.set("priority", e.priority, `priority: ${old.priority} → ${e.priority}`);
  if (e.due !== undefined && (e.due ?? undefined) !== old.due) b.set("due", e.due === null ? null : checkDue(e.due), `due: ${e.due ?? "none"}`);
  const removing = new Set((e.removeLabels ?? []).filter((l) => old.labels.includes(l)));
  for (const l of new Set(e.addLabels ?? [])) {
    if (old.labels.includes(checkLabel(l)) || removing.has(l)) continue;
    b.intents.push({ kind: "add", record: have.id, field: "labels", value: l });
    b.log(`label +${l}`);
  }
  for (const l of removing) {
    b.intents.push({ kind: "remove", record: have.id, field: "labels", value: l });
    b.log(`label -${l}`);
  }
  return b.intents;
}

export function assignIntents(have: RecordView, me: string, at: number, assignee: string | null): Intent[] {
  if ((ticketOf(have).assignee ?? null) === assignee) return [];
  const b = new Batch(have.id, me, at);
  b.set("assignee", assignee, `assignee: ${assignee ?? "none"}`);
  return b.intents;
}

export function statusIntents(have: RecordView, me: string, at: number, to: Status): Intent[] {
  const from = ticketOf(have).status;
  if (from === to) return [];
  if (!TRANSITIONS[from].includes(to)) throw ticketsError("TICKETS_BAD_TRANSITION", `a ticket that is ${from} cannot become ${to}`);
  const b = new Batch(have.id, me, at);
  b.set("status", to, `status: ${from} → ${to}`);
  return b.intents;
}

/** A new comment, or an edit of comment `edit` (its author's only). */
export function commentIntents(have: RecordView, me: string, at: number, body: string, edit?: string): { intents: Intent[]; comment: string } {
  if (body.length > MAX_COMMENT) throw ticketsError("TICKETS_BAD_VALUE", `a comment is longer than ${MAX_COMMENT} characters`);
  let id: string;
  if (edit === undefined) {
    if (body.trim() === "") throw ticketsError("TICKETS_BAD_VALUE", "the comment is empty");
    id = `${me}.${randomBytes(8).toString("hex")}`;
  } else {
    const matches = ticketOf(have).comments.filter((c) => c.id === edit || shortComment(c.id).startsWith(edit));
    if (matches.length !== 1) throw ticketsError("TICKETS_NO_COMMENT", matches.length === 0 ? `no comment "${edit.slice(0, 40)}" on ticket ${have.id}` : `"${edit.slice(0, 40)}" matches several comments`);
    const c = matches[0]!;
    if (c.author !== me) throw ticketsError("TICKETS_NOT_YOURS", `comment ${shortComment(c.id)} was written by another member`);
    id = c.id;
  }
  const b = new Batch(have.id, me, at);
  b.intents.push({ kind: "append", record: have.id, field: "comments", value: commentItem(id, at, body) });
  b.log(`${edit === undefined ? "comment" : body === "" ? "comment withdrawn" : "comment edited"} ${shortComment(id)}`);
  return { intents: b.intents, comment: id };
}

/** Writes a new ticket, its id naming this device's user; returns the id. */
export function addTicket(vault: Vault, collection: string, t: NewTicket, at: number): { id: string; changeset: string } {
  const me = myUser(vault);
  const id = newTicketId(me, newRecordId());
  const { changeset } = vault.write(collection, createIntents(id, me, at, t));
  return { id, changeset };
}
