/**
 * The tickets app on real vaults: the replicated check against hostile values, two laptops
 * editing one ticket offline merged through real bundles, a forged comment edit refused on
 * import, write-time rules (status transitions, whose comment), roles, filters and order.
 */
import { describe, expect, it } from "vitest";
import { stateDigest } from "../../vault/report.js";
import { importInto, newVault, sync, team, tempRoots } from "../../../test-support/vaults.js";
import { HostileMember } from "../../../test-support/hostile.js";
import type { Intent } from "../app.js";
import { chooseOrCreateCollection } from "../collection-choice.js";
import type { Vault } from "../../vault/vault.js";
import { ticketsApp } from "./index.js";
import { filterTickets, historyItem, commentItem, newTicketId, sortTickets, ticketOf, dueProblem, shortComment, type Ticket } from "./ticket.js";
import { addTicket, assignIntents, commentIntents, createIntents, editIntents, myUser, statusIntents } from "./write.js";
import { urgentTickets } from "./urgent.js";

const root = tempRoots("airlock-tickets-");
const AT = Date.UTC(2026, 10, 28, 9);

/** Alice (owner, A), Bob (editor, B) and Vera (viewer, C), with a tickets collection on all three. */
async function threeOf(): Promise<{ a: Vault; b: Vault; c: Vault }> {
  const dir = root();
  const { a, b, clock } = await team(dir);
  const c = await newVault(dir, "c", clock);
  a.addMember(c.joinRequest("vera").bytes, "viewer");
  expect(chooseOrCreateCollection(a, ticketsApp, undefined, () => undefined)).toBe("tickets");
  sync(a, b, c);
  sync(b, a);
  return { a, b, c };
}

describe("the tickets check", () => {
  it("refuses hostile values on every vault alike: forged reporter, another's comment, non-member assignee, bad due date, bad status, an unrecorded change", async () => {
    const { a, b, c } = await threeOf();
    const state = a.state();
    const [alice, bob] = [myUser(a), myUser(b)];
    const check = (author: Vault, intents: Intent[]): string | undefined => ticketsApp.check!(intents, { state, author: author.deviceId, version: 1 });
    const t1 = newTicketId(bob, "0123456789abcdef");
    const log = (who: string): Intent => ({ kind: "append", record: t1, field: "history", value: historyItem(who, AT, "edited") });
    const set = (field: string, value: string | null): Intent => ({ kind: "set", record: t1, field, value });

    expect(check(b, createIntents(t1, bob, AT, { title: "Generator", assignee: alice, due: "2028-02-29", labels: ["power"] }))).toBeUndefined();
    expect(check(b, createIntents(t1, bob, AT, { title: "Generator" }).map((x) => (x.kind === "set" && x.field === "reporter" ? { ...x, value: alice } : x)))).toMatch(/reporter must be the author's own user/);
    expect(check(b, [set("reporter", bob), log(bob)])).toMatch(/reporter of ticket \S+ is set only in the batch that creates it/);
    expect(check(b, [{ kind: "append", record: t1, field: "comments", value: commentItem(`${alice}.0123456789abcdef`, AT, "edited by bob") }, log(bob)])).toMatch(/only by its author/);
    expect(check(b, [{ kind: "append", record: t1, field: "comments", value: "no id at all" }, log(bob)])).toMatch(/comment is malformed/);
    expect(check(b, [set("assignee", "ab".repeat(32)), log(bob)])).toMatch(/not an active member/);
    expect(check(b, [set("assignee", myUser(c)), log(bob)])).toBeUndefined(); // a viewer may be assigned
    expect(check(b, [set("assignee", null), log(bob)])).toBeUndefined();
    for (const due of ["2026-02-29", "2026-13-01", "2026-04-31", "28.11.2026", "2026-1-1", "tomorrow"]) expect(check(b, [set("due", due), log(bob)]), due).toMatch(/due date/);
    for (const status of ["closed", "Done", "in-progress", ""]) expect(check(b, [set("status", status), log(bob)]), status).toMatch(/status must be one of/);
    expect(check(b, [set("status", null), log(bob)])).toMatch(/status must be one of/);
    expect(check(b, [set("priority", "critical"), log(bob)])).toMatch(/priority must be one of/);
    expect(check(b, [{ kind: "add", record: t1, field: "labels", value: "bad\u001blabel" }, log(bob)])).toMatch(/label holds a control character/);
    expect(check(b, [set("title", "quietly changed")])).toMatch(/without a history entry/);
    expect(check(b, [set("title", "x"), log(alice)])).toMatch(/history entry must name its author/);
    // A history entry for another ticket does not cover this one.
    expect(check(b, [set("title", "x"), { ...log(bob), record: "t2" }])).toMatch(/ticket \S+ without a history entry/);
    expect(check(b, [{ kind: "delete", record: t1 }])).toBeUndefined();
    expect(dueProblem("2000-02-29")).toBeUndefined();
    expect(dueProblem("1900-02-29")).toBe("has no such day");

    // The same refusal at write time, before anything is stored.
    expect(() => b.write("tickets", [set("title", "quietly changed")])).toThrow(/without a history entry/);
    for (const v of [a, b, c]) v.close();
  });

  it("refuses on import a member's forged edit of another's comment, and applies the rest", async () => {
    const { a, b, c } = await threeOf();
    const { id } = addTicket(a, "tickets", { title: "Radio mast" }, AT);
    const have = a.record("tickets", id)!;
    const { intents, comment } = commentIntents(have, myUser(a), AT, "Needs a new cable");
    a.write("tickets", intents);
    sync(a, b, c);
    sync(b, a);
    // Bob's laptop refuses to edit Alice's comment...
    expect(() => commentIntents(b.record("tickets", id)!, myUser(b), AT, "Cable is fine", comment)).toThrow(expect.objectContaining({ code: "TICKETS_NOT_YOURS" }));
    // ...so a tampered client signs the edit itself.
    const mallory = new HostileMember(b);
    const forged = mallory.changeset({
      collection: "tickets",
      ops: [
        { kind: "append", record: id, field: "comments", value: commentItem(comment, AT + 1, "Cable is fine") },
        { kind: "append", record: id, field: "history", value: historyItem(myUser(b), AT + 1, "comment edited") },
      ],
    });
    const honest = mallory.changeset({
      collection: "tickets",
      ops: [
        { kind: "set", record: id, field: "priority", value: "high", wall: AT + 1000 },
        { kind: "append", record: id, field: "history", value: historyItem(myUser(b), AT + 2, "priority: normal → high") },
      ],
    });
    for (const v of [a, c]) {
      const report = importInto(v, [mallory.bundle({ changesets: [forged, honest] })]);
      expect(report.rejected).toBe(1);
      expect(report.applied).toBe(1);
      const t = ticketOf(v.record("tickets", id)!);
      expect(t.comments.map((x) => x.body)).toEqual(["Needs a new cable"]);
      expect(t.priority).toBe("high");
    }
    expect(stateDigest(c)).toBe(stateDigest(a));
    for (const v of [a, b, c]) v.close();
  });
});

describe("the reporter", () => {
  it("is whoever opened the ticket: a hostile editor's later batch claiming it is refused on every vault, even with a forged 'created' entry", async () => {
    const { a, b, c } = await threeOf();
    const { id } = addTicket(a, "tickets", { title: "Radio mast" }, AT);
    sync(a, b, c);
    const [alice, bob] = [myUser(a), myUser(b)];
    expect(id.endsWith(`.${alice}`)).toBe(true);
    const mallory = new HostileMember(b);
    const claim = (what: string, wall: number) =>
      mallory.changeset({
        collection: "tickets",
        ops: [
          { kind: "set", record: id, field: "reporter", value: bob, wall },
          { kind: "append", record: id, field: "history", value: historyItem(bob, wall, what), wall },
        ],
      });
    const forged = [claim("reporter: bob", AT + 10), claim("created", AT + 20)];
    // A ticket id of Bob's own, written by a later batch without the ticket's creation: refused too.
    const own = newTicketId(bob, "0123456789abcdef");
    const later = mallory.changeset({
      collection: "tickets",
      ops: [
        { kind: "set", record: own, field: "reporter", value: bob, wall: AT + 30 },
        { kind: "append", record: own, field: "history", value: historyItem(bob, AT + 30, "reporter: bob"), wall: AT + 30 },
      ],
    });
    for (const v of [a, c]) {
      const report = importInto(v, [mallory.bundle({ changesets: [...forged, later] })]);
      expect(report).toMatchObject({ rejected: 3, applied: 0 });
      const reasons = (v.store.connection().prepare("SELECT reason FROM changesets WHERE status = 'rejected' ORDER BY seq").all() as { reason: string }[]).map((x) => x.reason).join("\n");
      expect(reasons.match(/reporter is set only by the member who opened the ticket, whom its id names/g)).toHaveLength(2);
      expect(reasons).toMatch(/the reporter of ticket \S+ is set only in the batch that creates it/);
      expect(ticketOf(v.record("tickets", id)!).reporter).toBe(alice);
    }
    expect(stateDigest(c)).toBe(stateDigest(a));
    for (const v of [a, b, c]) v.close();
  });
});

describe("two laptops editing one ticket offline", () => {
  it("keep both labels, both comments and both histories; single values converge", async () => {
    const { a, b, c } = await threeOf();
    const { id } = addTicket(a, "tickets", { title: "Water filters", labels: ["supplies"], due: "2026-12-01" }, AT);
    sync(a, b);
    const [alice, bob] = [myUser(a), myUser(b)];
    a.write("tickets", editIntents(a.record("tickets", id)!, alice, AT + 10, { addLabels: ["urgent-run"], priority: "urgent" }));
    a.write("tickets", commentIntents(a.record("tickets", id)!, alice, AT + 11, "Ordered 20").intents);
    b.write("tickets", editIntents(b.record("tickets", id)!, bob, AT + 12, { addLabels: ["north"], removeLabels: ["supplies"] }));
    b.write("tickets", commentIntents(b.record("tickets", id)!, bob, AT + 13, "I can pick them up").intents);
    b.write("tickets", statusIntents(b.record("tickets", id)!, bob, AT + 14, "in progress"));
    sync(a, b);
    sync(b, a);
    sync(a, c);
    const t = ticketOf(a.record("tickets", id)!);
    expect(t.labels).toEqual(["north", "urgent-run"]);
    expect(t.comments.map((x) => [x.author, x.body])).toEqual(
      expect.arrayContaining([
        [alice, "Ordered 20"],
        [bob, "I can pick them up"],
      ]),
    );
    expect(t.comments).toHaveLength(2);
    expect(t.priority).toBe("urgent");
    expect(t.status).toBe("in progress");
    expect(t.reporter).toBe(alice);
    const whats = t.history.map((h) => `${h.user === alice ? "alice" : "bob"}: ${h.what}`);
    expect(whats).toEqual(
      expect.arrayContaining(["alice: created", "alice: priority: normal → urgent", "alice: label +urgent-run", "bob: label +north", "bob: label -supplies", "bob: status: open → in progress"]),
    );
    expect(t.history).toHaveLength(8);
    for (const v of [b, c]) expect(ticketOf(v.record("tickets", id)!)).toEqual(t);
    expect(stateDigest(b)).toBe(stateDigest(a));
    expect(urgentTickets(c).map((u) => [u.id, u.title, u.status])).toEqual([[id, "Water filters", "in progress"]]);
    for (const v of [a, b, c]) v.close();
  });
});

describe("write-time rules", () => {
  it("enforce the status transitions and comment authorship; a viewer cannot write at all", async () => {
    const { a, b, c } = await threeOf();
    const { id } = addTicket(a, "tickets", { title: "Printer" }, AT);
    const alice = myUser(a);
    const done = statusIntents(a.record("tickets", id)!, alice, AT, "done");
    a.write("tickets", done);
    expect(() => statusIntents(a.record("tickets", id)!, alice, AT, "in progress")).toThrow(expect.objectContaining({ code: "TICKETS_BAD_TRANSITION" }));
    a.write("tickets", statusIntents(a.record("tickets", id)!, alice, AT, "open"));
    expect(statusIntents(a.record("tickets", id)!, alice, AT, "open")).toEqual([]);
    // Own comment: edited, then withdrawn; the history says so.
    const { intents, comment } = commentIntents(a.record("tickets", id)!, alice, AT, "first");
    a.write("tickets", intents);
    a.write("tickets", commentIntents(a.record("tickets", id)!, alice, AT + 5, "second", shortComment(comment).slice(0, 6)).intents);
    const t = ticketOf(a.record("tickets", id)!);
    expect(t.comments).toEqual([{ id: comment, author: alice, created: AT, edited: AT + 5, body: "second" }]);
    expect(t.history.map((h) => h.what).slice(-2)).toEqual([`comment ${shortComment(comment)}`, `comment edited ${shortComment(comment)}`]);
    expect(() => createIntents("x", alice, AT, { title: "x", due: "2026-02-30" })).toThrow(expect.objectContaining({ code: "TICKETS_BAD_VALUE" }));
    expect(() => createIntents("x", alice, AT, { title: "  " })).toThrow(/needs a title/);
    expect(assignIntents(a.record("tickets", id)!, alice, AT, null)).toEqual([]);

    sync(a, c);
    expect(() => addTicket(c, "tickets", { title: "From a viewer" }, AT)).toThrow(expect.objectContaining({ code: "VAULT_NOT_ALLOWED" }));
    expect(() => c.write("tickets", commentIntents(c.record("tickets", id)!, myUser(c), AT, "me too").intents)).toThrow(expect.objectContaining({ code: "VAULT_NOT_ALLOWED" }));
    // The usual collection: everyone reads, editors write; an editor cannot make it.
    expect(a.state().collections.get("tickets")).toMatchObject({ app: "tickets", read: "viewer", write: "editor" });
    for (const v of [a, b, c]) v.close();
  });
});

describe("filters and order", () => {
  const base = { description: "", reporter: "aa", labels: [], comments: [], history: [], updated: 0 } as const;
  const t = (id: string, over: Partial<Ticket>): Ticket => ({ ...base, id, title: id, status: "open", priority: "normal", assignee: undefined, due: undefined, ...over });
  const all = [
    t("low-done", { priority: "low", status: "done", due: "2020-01-01" }),
    t("urgent-done", { priority: "urgent", status: "done" }),
    t("normal-late", { due: "2026-11-01", assignee: "bb", labels: ["north"] }),
    t("high", { priority: "high", assignee: "bb" }),
    t("urgent", { priority: "urgent", status: "blocked", due: "2026-12-24" }),
  ];

  it("list urgent open tickets first, done last", () => {
    expect(sortTickets(all).map((x) => x.id)).toEqual(["urgent", "high", "normal-late", "urgent-done", "low-done"]);
  });

  it("filter by assignee, overdue (due before today, not done), status and label", () => {
    const ids = (f: Parameters<typeof filterTickets>[1]): string[] => filterTickets(all, f).map((x) => x.id);
    expect(ids({ assignee: "bb" })).toEqual(["normal-late", "high"]);
    expect(ids({ overdueOn: "2026-11-28" })).toEqual(["normal-late"]);
    expect(ids({ overdueOn: "2026-11-01" })).toEqual([]);
    expect(ids({ status: "done" })).toEqual(["low-done", "urgent-done"]);
    expect(ids({ label: "north", assignee: "bb" })).toEqual(["normal-late"]);
  });
});
