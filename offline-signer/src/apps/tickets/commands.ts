/** `airlock tickets …`: the team's task tracker on the command line. */
import { Args, Flags } from "@oclif/core";
import { AirlockError, safe } from "@airlock/shared";
import { VaultCommand } from "../../commands/base.js";
import { table, when } from "../../commands/format.js";
import { readBody } from "../../cli/text-input.js";
import { chooseCollection, chooseOrCreateCollection } from "../collection-choice.js";
import type { Intent, RecordView } from "../app.js";
import type { Vault } from "../../vault/vault.js";
import { ticketsError } from "./errors.js";
import { ticketsApp } from "./index.js";
import { PRIORITIES, type Priority, type Status } from "./schema.js";
import { filterTickets, localDate, shortComment, sortTickets, statusArg, ticketOf, type Ticket } from "./ticket.js";
import { historyText, nameOf } from "./urgent.js";
import { addTicket, assignIntents, commentIntents, editIntents, myUser, statusIntents } from "./write.js";

const collection = Flags.string({ description: "tickets collection (default: the only one you read)" });
const STATUS_OPTIONS = ["open", "in-progress", "blocked", "done"];
const id = Args.string({ description: "ticket id (or a unique prefix)", required: true });

function find(vault: Vault, flag: string | undefined, ref: string): { collection: string; record: RecordView } {
  const c = chooseCollection(vault, ticketsApp, flag);
  return { collection: c, record: vault.findRecord(c, ref) };
}

/** A member by name (or user id prefix), active now: assignees must be (the check holds it too). */
function member(vault: Vault, name: string): string {
  const u = vault.findUser(name);
  if (!u.active) throw ticketsError("TICKETS_BAD_VALUE", `${u.name} was removed from the team and cannot be assigned`);
  return u.id;
}

function status(raw: string): Status {
  const s = statusArg(raw);
  // Its own hint: the code's usual one points at `tickets add --help`, which takes no status.
  if (s === undefined) throw new AirlockError("TICKETS_BAD_VALUE", `"${raw.slice(0, 40)}" is not a status (open, in-progress, blocked, done)`, { hint: "see airlock tickets status --help" });
  return s;
}

/** The ticket as --json gives it: user ids beside the names they stand for. */
function json(vault: Vault, t: Ticket): Record<string, unknown> {
  const who = (u: string | undefined): { id: string; name: string } | null => (u === undefined ? null : { id: u, name: nameOf(vault, u) });
  return {
    ...t,
    assignee: who(t.assignee),
    reporter: who(t.reporter),
    comments: t.comments.map((c) => ({ ...c, id: shortComment(c.id), author: who(c.author) })),
    history: t.history.map((h) => ({ who: who(h.user), at: h.at, what: historyText(vault, h.what) })),
  };
}

function describe(vault: Vault, t: Ticket): string {
  let text = safe`${t.title}` + `  [${t.status}, ${t.priority}]\n`;
  const line = (label: string, v: string): void => {
    text += safe`  ${label}: ${v}` + "\n";
  };
  line("id", t.id);
  if (t.assignee !== undefined) line("assignee", nameOf(vault, t.assignee));
  if (t.reporter !== undefined) line("reporter", nameOf(vault, t.reporter));
  if (t.due !== undefined) line("due", t.due);
  if (t.labels.length > 0) line("labels", t.labels.join(", "));
  if (t.description !== "") text += "  description:\n" + t.description.split("\n").map((l) => safe`    ${l}`).join("\n") + "\n";
  const shown = t.comments.filter((c) => c.body !== "");
  if (shown.length > 0) text += "\nComments\n";
  for (const c of shown) {
    text += safe`  ${shortComment(c.id)}  ${nameOf(vault, c.author)}, ${when(c.created)}${c.edited === undefined ? "" : ` (edited ${when(c.edited)})`}` + "\n";
    text += c.body.split("\n").map((l) => safe`    ${l}`).join("\n") + "\n";
  }
  if (t.history.length > 0) text += "\nHistory\n" + table(t.history.map((h) => [when(h.at), nameOf(vault, h.user), historyText(vault, h.what)]));
  return text;
}

const descriptionFlags = {
  description: Flags.string({ description: 'the description; "-" reads it from standard input' }),
  "description-file": Flags.string({ description: "read the description from this UTF-8 file" }),
};

abstract class TicketsCommand extends VaultCommand {
  protected async description(flags: { description?: string | undefined; "description-file"?: string | undefined }): Promise<string | undefined> {
    if (flags.description !== undefined && flags["description-file"] !== undefined) this.usage("give either --description or --description-file, not both");
    return readBody({ body: flags.description, bodyFile: flags["description-file"], stdin: process.stdin });
  }

  /** Writes a change, or says nothing changed. */
  protected apply(vault: Vault, c: string, record: RecordView, intents: Intent[], json: boolean, done: string): void {
    if (intents.length === 0) {
      this.emit(json, { id: record.id, changed: [] }, safe`Nothing changed in ${record.id}.` + "\n");
      return;
    }
    const { changeset } = vault.write(c, intents);
    const changed = [...new Set(intents.flatMap((i) => (i.kind === "delete" || i.field === "history" ? [] : [i.field])))];
    this.emit(json, { id: record.id, changed, changeset }, done);
  }
}

export class TicketsAdd extends TicketsCommand {
  static override summary = "Open a ticket: title, description, priority, assignee, due date, labels.";
  static override examples = ['<%= config.bin %> tickets add --title "Generator needs fuel" --priority urgent --assignee bob --due 2026-12-01 --label power'];
  static override flags = {
    title: Flags.string({ description: "one line", required: true }),
    ...descriptionFlags,
    priority: Flags.string({ description: "how soon", options: [...PRIORITIES], default: "normal" }),
    assignee: Flags.string({ description: "a member, by name" }),
    due: Flags.string({ description: "due date, YYYY-MM-DD" }),
    label: Flags.string({ description: "a label (repeat for several)", multiple: true }),
    collection,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TicketsAdd);
    if (flags.title.trim() === "") this.usage("--title is blank");
    const text = await this.description(flags);
    let made: string | undefined;
    await this.withVault(flags, async (vault) => {
      const c = chooseOrCreateCollection(vault, ticketsApp, flags.collection, (cid, read, write) => (made = this.created(flags.json, cid, read, write)));
      const assignee = flags.assignee === undefined ? undefined : member(vault, flags.assignee);
      const { id: tid, changeset } = addTicket(
        vault,
        c,
        { title: flags.title, description: text, priority: flags.priority as Priority, assignee, due: flags.due, labels: flags.label },
        Date.now(),
      );
      this.emit(flags.json, { id: tid, collection: c, changeset, ...(made === undefined ? {} : { createdCollection: made }) }, safe`Opened ${flags.title.trim()} (${tid}) in ${c}.` + "\n");
    });
  }
}

export class TicketsList extends TicketsCommand {
  static override summary = "List tickets: urgent open ones first, done ones last.";
  static override examples = ["<%= config.bin %> tickets list --mine", "<%= config.bin %> tickets list --overdue --json", "<%= config.bin %> tickets list --status blocked --label power"];
  static override flags = {
    mine: Flags.boolean({ description: "only tickets assigned to me", default: false }),
    overdue: Flags.boolean({ description: "only tickets due before today that are not done", default: false }),
    status: Flags.string({ description: "only tickets in this status", options: STATUS_OPTIONS }),
    label: Flags.string({ description: "only tickets with this label" }),
    collection,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TicketsList);
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, ticketsApp, flags.collection);
      const today = localDate(Date.now());
      const tickets = sortTickets(
        filterTickets(vault.records(c).map(ticketOf), {
          assignee: flags.mine ? myUser(vault) : undefined,
          overdueOn: flags.overdue ? today : undefined,
          status: flags.status === undefined ? undefined : status(flags.status),
          label: flags.label,
        }),
      );
      const rows = tickets.map((t) => [t.id, t.priority === "urgent" && t.status !== "done" ? "URGENT" : t.priority, t.status, t.title, nameOf(vault, t.assignee), t.due === undefined ? "" : `${t.due}${t.status !== "done" && t.due < today ? " (overdue)" : ""}`]);
      const text = tickets.length === 0 ? safe`no tickets in ${c} match` + "\n" : table(rows);
      this.emit(flags.json, { collection: c, tickets: tickets.map((t) => json(vault, t)) }, text);
    });
  }
}

export class TicketsShow extends TicketsCommand {
  static override summary = "Show one ticket with its comments and the history of every change.";
  static override examples = ["<%= config.bin %> tickets show 3f2a"];
  static override args = { id };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TicketsShow);
    await this.withVault(flags, async (vault) => {
      const t = ticketOf(find(vault, flags.collection, args.id).record);
      this.emit(flags.json, { ticket: json(vault, t) }, describe(vault, t));
    });
  }
}

export class TicketsEdit extends TicketsCommand {
  static override summary = "Change a ticket's title, description, priority, due date or labels; what you do not name stays.";
  static override examples = ["<%= config.bin %> tickets edit 3f2a --priority high --add-label north", "<%= config.bin %> tickets edit 3f2a --clear-due"];
  static override args = { id };
  static override flags = {
    title: Flags.string({ description: "new title" }),
    ...descriptionFlags,
    priority: Flags.string({ description: "new priority", options: [...PRIORITIES] }),
    due: Flags.string({ description: "new due date, YYYY-MM-DD" }),
    "clear-due": Flags.boolean({ description: "remove the due date", default: false }),
    "add-label": Flags.string({ description: "add a label", multiple: true }),
    "remove-label": Flags.string({ description: "remove a label", multiple: true }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TicketsEdit);
    if (flags.due !== undefined && flags["clear-due"]) this.usage("give either --due or --clear-due, not both");
    const text = await this.description(flags);
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      const intents = editIntents(record, myUser(vault), Date.now(), {
        title: flags.title,
        description: text,
        priority: flags.priority as Priority | undefined,
        due: flags["clear-due"] ? null : flags.due,
        addLabels: flags["add-label"],
        removeLabels: flags["remove-label"],
      });
      this.apply(vault, c, record, intents, flags.json, safe`Updated ${record.id}.` + "\n");
    });
  }
}

export class TicketsComment extends TicketsCommand {
  static override summary = "Comment on a ticket, or edit (or with empty text withdraw) a comment of your own.";
  static override examples = ['<%= config.bin %> tickets comment 3f2a "Fuel ordered"', '<%= config.bin %> tickets comment 3f2a --edit 9c1e "Fuel arrives Friday"'];
  static override args = { id, text: Args.string({ description: 'the comment; "-" reads it from standard input' }) };
  static override flags = {
    "text-file": Flags.string({ description: "read the comment from this UTF-8 file" }),
    edit: Flags.string({ description: "the id of your comment to replace (tickets show lists them)" }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TicketsComment);
    if (args.text !== undefined && flags["text-file"] !== undefined) this.usage("give the text or --text-file, not both");
    const body = await readBody({ body: args.text, bodyFile: flags["text-file"], stdin: process.stdin });
    if (body === undefined) this.usage("give the comment's text (or --text-file FILE)");
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      const { intents, comment } = commentIntents(record, myUser(vault), Date.now(), body, flags.edit);
      const { changeset } = vault.write(c, intents);
      const short = shortComment(comment);
      this.emit(flags.json, { id: record.id, comment: short, changeset }, flags.edit === undefined ? safe`Commented on ${record.id} (comment ${short}).` + "\n" : safe`Replaced comment ${short} on ${record.id}.` + "\n");
    });
  }
}

export class TicketsAssign extends TicketsCommand {
  static override summary = "Assign a ticket to a member (by name), or --unassign it.";
  static override examples = ["<%= config.bin %> tickets assign 3f2a bob", "<%= config.bin %> tickets assign 3f2a --unassign"];
  static override args = { id, member: Args.string({ description: "the member's name" }) };
  static override flags = { unassign: Flags.boolean({ description: "nobody", default: false }), collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TicketsAssign);
    if ((args.member === undefined) === !flags.unassign) this.usage("name a member, or give --unassign");
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      const to = args.member === undefined ? null : member(vault, args.member);
      this.apply(vault, c, record, assignIntents(record, myUser(vault), Date.now(), to), flags.json, safe`${record.id} is now assigned to ${to === null ? "nobody" : nameOf(vault, to)}.` + "\n");
    });
  }
}

export class TicketsStatus extends TicketsCommand {
  static override summary = "Move a ticket: open, in-progress, blocked, done (a done ticket is reopened first).";
  static override examples = ["<%= config.bin %> tickets status 3f2a in-progress"];
  static override args = { id, status: Args.string({ description: "open, in-progress, blocked or done", required: true }) };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TicketsStatus);
    const to = status(args.status);
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      this.apply(vault, c, record, statusIntents(record, myUser(vault), Date.now(), to), flags.json, safe`${record.id} is now ${to}.` + "\n");
    });
  }
}

export class TicketsClose extends TicketsCommand {
  static override summary = "Mark a ticket done.";
  static override examples = ["<%= config.bin %> tickets close 3f2a"];
  static override args = { id };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TicketsClose);
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      this.apply(vault, c, record, statusIntents(record, myUser(vault), Date.now(), "done"), flags.json, safe`Closed ${record.id}.` + "\n");
    });
  }
}

export const TICKETS_COMMANDS = {
  "tickets:add": TicketsAdd,
  "tickets:list": TicketsList,
  "tickets:show": TicketsShow,
  "tickets:edit": TicketsEdit,
  "tickets:comment": TicketsComment,
  "tickets:assign": TicketsAssign,
  "tickets:status": TicketsStatus,
  "tickets:close": TicketsClose,
};
