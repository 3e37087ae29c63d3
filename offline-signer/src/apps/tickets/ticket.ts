/**
 * A ticket as the CLI and the TUI read it, the stored item formats, and the pure rules both the
 * writers and the replicated check use. Nothing here reads a clock or a locale table: `today` is
 * passed in, and every test on text is on fixed code points.
 */
import type { RecordView } from "../app.js";
import { textOf, textsOf } from "../record-diff.js";
import { MAX_HISTORY_WHAT, PRIORITIES, STATUSES, type Priority, type Status } from "./schema.js";

/** Separates the parts of a comment or history item (ASCII unit separator: never typed). */
export const US = "\u001f";
// C0 and C1 controls and DEL: fixed code points, the same on every runtime.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const USER_ID = /^[0-9a-f]{2,128}$/;
const COMMENT_ID = /^([0-9a-f]{2,128})\.[0-9a-f]{16}$/;
// A ticket id is "<16 hex>.<user id of its creator>": the check holds the reporter to that user
// without reading the record (decisions #32). The random part comes first so a prefix picks one.
const TICKET_ID = /^[0-9a-f]{16}\.([0-9a-f]{2,128})$/;
const MS = /^[0-9]{1,15}$/;

/** Which status may follow which: a done ticket is reopened before work starts on it again. */
export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  open: ["in progress", "blocked", "done"],
  "in progress": ["open", "blocked", "done"],
  blocked: ["open", "in progress", "done"],
  done: ["open"],
};

export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { urgent: 0, high: 1, normal: 2, low: 3 };

export interface TicketComment {
  /** "<user id>.<16 hex>": the author is part of the id, so the check can hold edits to it. */
  readonly id: string;
  readonly author: string;
  /** When it was first written and last edited (the author's clock, ms). */
  readonly created: number;
  readonly edited: number | undefined;
  /** Empty once its author withdrew it. */
  readonly body: string;
}

export interface HistoryEntry {
  readonly user: string;
  /** The author's clock (ms), as the HLC of the change itself. */
  readonly at: number;
  readonly what: string;
}

export interface Ticket {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly status: Status;
  readonly priority: Priority;
  /** User ids: shown by name (nameOf). */
  readonly assignee: string | undefined;
  readonly reporter: string | undefined;
  readonly due: string | undefined;
  readonly labels: readonly string[];
  readonly comments: readonly TicketComment[];
  readonly history: readonly HistoryEntry[];
  readonly updated: number;
}

export const isStatus = (v: unknown): v is Status => (STATUSES as readonly unknown[]).includes(v);
export const isPriority = (v: unknown): v is Priority => (PRIORITIES as readonly unknown[]).includes(v);
export const isUserId = (v: string): boolean => USER_ID.test(v);

/** A status as typed: "in-progress" and "in_progress" mean "in progress"; any case. */
export function statusArg(raw: string): Status | undefined {
  const s = raw.trim().toLowerCase().replace(/[-_]/g, " ");
  return isStatus(s) ? s : undefined;
}

/** The id of a new ticket opened by `user`. */
export const newTicketId = (user: string, random: string): string => `${random}.${user}`;
/** The user who opened ticket `id`, or undefined for an id of another form. */
export const ticketAuthor = (id: string): string | undefined => TICKET_ID.exec(id)?.[1];

/** What people type for a comment: the random part of its id. */
export const shortComment = (id: string): string => id.slice(id.indexOf(".") + 1);

export function commentItem(id: string, at: number, body: string): string {
  return `${id}${US}${String(at)}${US}${body}`;
}

export function historyItem(user: string, at: number, what: string): string {
  return `${user}${US}${String(at)}${US}${what}`;
}

/** A comment item, or undefined if it is not one. */
export function parseComment(v: unknown): { id: string; user: string; at: number; body: string } | undefined {
  if (typeof v !== "string") return undefined;
  const a = v.indexOf(US);
  const b = a < 0 ? -1 : v.indexOf(US, a + 1);
  if (b < 0) return undefined;
  const id = v.slice(0, a);
  const m = COMMENT_ID.exec(id);
  const at = v.slice(a + 1, b);
  if (m === null || !MS.test(at)) return undefined;
  return { id, user: m[1]!, at: Number(at), body: v.slice(b + 1) };
}

export function parseHistory(v: unknown): HistoryEntry | undefined {
  if (typeof v !== "string") return undefined;
  const a = v.indexOf(US);
  const b = a < 0 ? -1 : v.indexOf(US, a + 1);
  if (b < 0) return undefined;
  const user = v.slice(0, a);
  const at = v.slice(a + 1, b);
  const what = v.slice(b + 1);
  if (!USER_ID.test(user) || !MS.test(at) || what === "" || what.length > MAX_HISTORY_WHAT || CONTROL.test(what)) return undefined;
  return { user, at: Number(at), what };
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Why `v` is not a date YYYY-MM-DD that exists on the calendar, or undefined. */
export function dueProblem(v: string): string | undefined {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(v);
  if (m === null) return "is not a date YYYY-MM-DD";
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12) return "has no such month";
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = mo === 2 && leap ? 29 : DAYS[mo - 1]!;
  if (d < 1 || d > days) return "has no such day";
  return undefined;
}

/** Why `v` may not be a label: the replicated rule, on fixed code points only. */
export function labelProblem(v: string): string | undefined {
  if (v === "") return "is empty";
  if (CONTROL.test(v)) return "holds a control character";
  if (v.startsWith(" ") || v.endsWith(" ")) return "starts or ends with a space";
  return undefined;
}

/** Comments in the order first written; each shows its author's latest edit. */
function commentsOf(items: readonly unknown[]): TicketComment[] {
  const byId = new Map<string, { id: string; author: string; created: number; edited: number | undefined; body: string }>();
  for (const item of items) {
    const c = parseComment(item);
    if (c === undefined) continue;
    const have = byId.get(c.id);
    // The id names its author and the check refused every other writer, so all items of one id are the author's.
    if (have === undefined) byId.set(c.id, { id: c.id, author: c.user, created: c.at, edited: undefined, body: c.body });
    else {
      have.body = c.body;
      have.edited = c.at;
    }
  }
  return [...byId.values()];
}

export function ticketOf(r: RecordView): Ticket {
  const status = r.fields["status"];
  const priority = r.fields["priority"];
  const due = textOf(r.fields["due"]);
  return {
    id: r.id,
    title: textOf(r.fields["title"]) ?? "",
    description: textOf(r.fields["description"]) ?? "",
    status: isStatus(status) ? status : "open",
    priority: isPriority(priority) ? priority : "normal",
    assignee: textOf(r.fields["assignee"]),
    // The id names who opened it and the field only restates that; a ticket from before ids named
    // their author keeps what older releases wrote (check lets nothing write it now).
    reporter: ticketAuthor(r.id) ?? textOf(r.fields["reporter"]),
    due: due !== undefined && dueProblem(due) === undefined ? due : undefined,
    labels: textsOf(r.sets["labels"]),
    comments: commentsOf(r.lists["comments"] ?? []),
    history: (r.lists["history"] ?? []).map(parseHistory).filter((h): h is HistoryEntry => h !== undefined),
    updated: r.updated,
  };
}

/** Due before `today` (YYYY-MM-DD, the reader's local date) and not done. */
export function isOverdue(t: Ticket, today: string): boolean {
  return t.status !== "done" && t.due !== undefined && t.due < today;
}

export const isUrgent = (t: Ticket): boolean => t.priority === "urgent" && t.status !== "done";

export interface TicketFilter {
  /** Only tickets assigned to this user id. */
  readonly assignee?: string | undefined;
  /** Only tickets overdue on this date. */
  readonly overdueOn?: string | undefined;
  readonly status?: Status | undefined;
  readonly label?: string | undefined;
}

export function filterTickets(tickets: readonly Ticket[], f: TicketFilter): Ticket[] {
  return tickets.filter(
    (t) =>
      (f.assignee === undefined || t.assignee === f.assignee) &&
      (f.overdueOn === undefined || isOverdue(t, f.overdueOn)) &&
      (f.status === undefined || t.status === f.status) &&
      (f.label === undefined || t.labels.includes(f.label)),
  );
}

/** Urgent open tickets first, then open before done, by priority, by due date (none last), newest. */
export function sortTickets(tickets: readonly Ticket[]): Ticket[] {
  const key = (t: Ticket): [number, number, number, string] => [isUrgent(t) ? 0 : 1, t.status === "done" ? 1 : 0, PRIORITY_RANK[t.priority], t.due ?? "9999-99-99"];
  return [...tickets].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
    if (x[3] !== y[3]) return x[3] < y[3] ? -1 : 1;
    return b.updated - a.updated || (a.id < b.id ? -1 : 1);
  });
}

/** The local calendar date of `ms`: what "overdue" is measured against. */
export function localDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${String(d.getFullYear()).padStart(4, "0")}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}
