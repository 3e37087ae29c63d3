/** Search over documents on real vaults and real bundles: every vault finds a document by its accepted text, and only by it. */
import { describe, expect, it, vi } from "vitest";
import { HostileMember } from "../../../test-support/hostile.js";
import { docsTeam } from "../../../test-support/docs-team.js";
import { importInto, reopen, sync, tempRoots } from "../../../test-support/vaults.js";
import { RecordStore } from "../../store/records.js";
import type { Vault } from "../../vault/vault.js";
import { docsApp } from "./index.js";
import { createDoc, loadDoc, propose, review, setSettings } from "./ops.js";
import { encodeOpened, encodeReview, proposalDigest } from "./record.js";

const root = tempRoots("airlock-docs-search-");
const C = "handbook";
const TEXT = "# Handbook\n\nMeet at the safehouse on Mondays.\n\nPhones stay off in the car.\n\nBurn notes after reading.\n";

/** Alice (owner) on a, Bob (editor) on b, Vera (viewer) on c. */
async function setup(): Promise<{ a: Vault; b: Vault; c: Vault; doc: string; all: Vault[]; syncAll(): void }> {
  const { a, b, c, doc } = await docsTeam(root(), { third: { name: "vera", role: "viewer" }, writeRole: "viewer", collection: C, text: TEXT });
  const syncAll = (): void => {
    sync(a, b, c);
    sync(b, a, c);
  };
  syncAll();
  return { a, b, c, doc, all: [a, b, c], syncAll };
}

/** The records a word finds on a vault, as `airlock search` lists them. */
const found = (v: Vault, word: string): string[] => v.search(word).map((h) => h.id);

describe("docs search", () => {
  it("finds a document by its accepted text once a proposal is approved, on every vault alike; never by a pending proposal's text", async () => {
    const { a, b, doc, all, syncAll } = await setup();
    const p = propose(a, C, doc, TEXT.replace("Mondays", "Wednesdays"), "midweek");
    syncAll();
    for (const v of all) {
      expect(found(v, "Mondays")).toEqual([doc]);
      expect(found(v, "Wednesdays")).toEqual([]);
      // The proposal is found by its message, not its text.
      expect(found(v, "midweek")).toEqual([p.id]);
    }
    expect(review(b, C, p.id, "approve")).toMatchObject({ state: "accepted", version: 2 });
    // The approving vault at once, the others when the approval reaches them.
    expect(found(b, "Wednesdays")).toEqual([doc]);
    expect(found(b, "Mondays")).toEqual([]);
    expect(found(a, "Wednesdays")).toEqual([]);
    syncAll();
    for (const v of all) {
      expect(found(v, "Wednesdays")).toEqual([doc]);
      expect(found(v, "Mondays")).toEqual([]);
      expect(found(v, "safehouse")).toEqual([doc]);
    }
  });

  it("a rejected proposal's text is never found; the document keeps its accepted text", async () => {
    const { a, b, doc, all, syncAll } = await setup();
    const p = propose(a, C, doc, TEXT.replace("Burn notes", "Archive notes"), "keep");
    syncAll();
    expect(review(b, C, p.id, "reject")).toMatchObject({ state: "rejected" });
    syncAll();
    for (const v of all) {
      expect(found(v, "Archive")).toEqual([]);
      expect(found(v, "Burn")).toEqual([doc]);
    }
  });

  it("concurrent approvals on two vaults: every vault finds the three-way merge of both", async () => {
    const { a, b, doc, all, syncAll } = await setup();
    const p1 = propose(a, C, doc, TEXT.replace("Mondays", "Tuesdays"), "weekday change");
    const p2 = propose(b, C, doc, TEXT.replace("Burn notes", "Shred notes"), "disposal change");
    syncAll();
    // Offline from each other: Bob approves Alice's, Alice approves Bob's.
    review(b, C, p1.id, "approve");
    review(a, C, p2.id, "approve");
    expect(found(a, "Tuesdays")).toEqual([]);
    expect(found(a, "Shred")).toEqual([doc]);
    syncAll();
    for (const v of all) {
      expect(found(v, "Tuesdays Shred")).toEqual([doc]);
      expect(found(v, "Mondays")).toEqual([]);
      expect(found(v, "Burn")).toEqual([]);
    }
  });

  it("the review settings decide what is accepted, so changing them moves the entry: two approvals needed, then one", async () => {
    const { a, b, c, doc, all, syncAll } = await setup();
    setSettings(a, C, { approvals: 2 });
    syncAll();
    const p = propose(a, C, doc, TEXT.replace("Mondays", "Fridays"), "friday");
    syncAll();
    review(b, C, p.id, "approve");
    syncAll();
    // One approval of two: still pending, not found.
    for (const v of all) expect(found(v, "Fridays")).toEqual([]);
    // The admin lowers the bar: Bob's approval is now enough, with no write to the document.
    setSettings(a, C, { approvals: 1 });
    expect(found(a, "Fridays")).toEqual([doc]);
    syncAll();
    for (const v of [b, c]) expect(found(v, "Fridays")).toEqual([doc]);
    // The settings move documents' entries only: the proposal is still found by its message.
    for (const v of all) expect(found(v, "friday")).toContain(p.id);
    // A settings change and a new proposal in one flush: the proposal gets its entry too.
    const q = a.tx(() => {
      setSettings(a, C, { reviewer: "editor" });
      return propose(a, C, doc, TEXT.replace("Phones", "Radios"), "walkie");
    });
    expect(found(a, "walkie")).toEqual([q.id]);
  });

  it("a settings change that rewrites many documents' entries at once (the grouped path of referring) moves each one as the single ones do", async () => {
    const { a, b, c, doc, all, syncAll } = await setup();
    // More documents than RecordStore reads one by one (16): the flush below groups proposals once.
    const others = Array.from({ length: 17 }, (_, i) => createDoc(a, C, `Sheet ${i}`, `# Sheet ${i}\n\nline ${i} stays\n`).id);
    setSettings(a, C, { approvals: 2 });
    syncAll();
    const p = propose(a, C, doc, TEXT.replace("Mondays", "Fridays"), "friday");
    const q = propose(a, C, others[16]!, `# Sheet 16\n\nline 16 moved\n`, "update");
    syncAll();
    review(b, C, p.id, "approve");
    review(b, C, q.id, "approve");
    syncAll();
    for (const v of all) expect([...found(v, "Fridays"), ...found(v, "moved")]).toEqual([]);
    setSettings(a, C, { approvals: 1 });
    syncAll();
    for (const v of [a, b, c]) {
      expect(found(v, "Fridays")).toEqual([doc]);
      expect(found(v, "moved")).toEqual([others[16]]);
      expect(found(v, "stays")).toHaveLength(16);
    }
  });

  it("an admin deleting an accepted proposal moves the document back to the version before it, in search too", async () => {
    const { a, b, doc, all, syncAll } = await setup();
    const p = propose(b, C, doc, TEXT.replace("Mondays", "Thursdays"), "weekday change");
    syncAll();
    review(a, C, p.id, "approve");
    expect(found(a, "Thursdays")).toEqual([doc]);
    // Only the proposal is written: the document's entry moves because the proposal named it.
    a.write(C, [{ kind: "delete", record: p.id }]);
    expect(found(a, "Thursdays")).toEqual([]);
    expect(found(a, "Mondays")).toEqual([doc]);
    syncAll();
    for (const v of all) {
      expect(found(v, "Thursdays")).toEqual([]);
      expect(found(v, "Mondays")).toEqual([doc]);
    }
  });

  it("a vault whose index an older release wrote writes it again on open", async () => {
    const { a, b, doc, syncAll } = await setup();
    const p = propose(a, C, doc, TEXT.replace("Mondays", "Saturdays"), "saturday");
    syncAll();
    review(b, C, p.id, "approve");
    // Reopened once first: a freshly joined vault still asks for a rebuild on its next open,
    // which would rewrite the index anyway, and the reindex would never run.
    const opened = await reopen(b);
    // What an older release left: the first version indexed, and no search version.
    const db = opened.store.connection();
    const id = (db.prepare("SELECT id FROM records WHERE collection = ? AND record = ?").get(C, doc) as { id: number }).id;
    db.prepare("DELETE FROM search WHERE rowid = ?").run(id);
    db.prepare("INSERT INTO search (rowid, title, body) VALUES (?, ?, ?)").run(id, "Handbook", TEXT);
    db.prepare("DELETE FROM meta WHERE key = 'search.version'").run();
    expect(opened.storage.meta.get("records.rebuild")).toBeUndefined();
    expect(found(opened, "Saturdays")).toEqual([]);
    const again = await reopen(opened);
    expect(found(again, "Saturdays")).toEqual([doc]);
    expect(found(again, "Mondays")).toEqual([]);
    expect(again.storage.meta.get("search.version")).toBeDefined();
    again.close();
  });

  it("a proposal its author moves to another document moves the first document's entry back", async () => {
    const { a, b, doc, all, syncAll } = await setup();
    const { id: other } = createDoc(a, C, "Roster", "# Roster\n\nNobody yet.\n");
    const p = propose(b, C, doc, TEXT.replace("Mondays", "Sundays"), "sunday");
    syncAll();
    review(a, C, p.id, "approve");
    syncAll();
    for (const v of all) expect(found(v, "Sundays")).toEqual([doc]);
    // Bob rewrites his proposal, whole, onto the roster: only the roster's reviews are written,
    // so the handbook's entry moves only because the proposal named it before.
    const bob = b.me().user.id;
    const text = "# Roster\n\nSundays: bob.\n";
    b.write(C, [
      { kind: "set", record: p.id, field: "doc", value: other },
      { kind: "set", record: p.id, field: "base", value: other },
      { kind: "set", record: p.id, field: "text", value: text },
      { kind: "set", record: p.id, field: "by", value: bob },
      { kind: "append", record: other, field: "reviews", value: encodeOpened({ proposal: p.id, digest: proposalDigest({ doc: other, base: other, text, by: bob }) }) },
    ]);
    syncAll();
    for (const v of all) {
      // The handbook is back at its first version; the roster's proposal is pending, so not found by its text.
      expect(found(v, "Sundays")).toEqual([]);
      expect(found(v, "Mondays")).toEqual([doc]);
      expect(found(v, "Nobody")).toEqual([other]);
    }
  });

  it("forged approvals (a viewer's, one posing as an editor, the author's own) change no entry anywhere", async () => {
    const { a, b, c, doc, all, syncAll } = await setup();
    const p = propose(b, C, doc, TEXT.replace("Mondays", "Fridays"), "friday");
    syncAll();
    const digest = loadDoc(a, C, doc).proposals[0]!.proposal.digest;
    const vera = c.me().user.id;
    const bob = b.me().user.id;
    const approve = (user: string, role: string): string => [`approve`, p.id, digest, user, role].join("\u001f");
    const forgers = new Map<Vault, HostileMember>();
    const forged = (v: Vault, value: string): number[] => {
      // One forger per vault: its chain of seqs goes on across forgeries.
      const forger = forgers.get(v) ?? new HostileMember(v);
      forgers.set(v, forger);
      // Stamped after the proposal's "proposed" item, where a review would count.
      const wall = v.now() + 1000;
      const bundle = forger.bundle({ changesets: [forger.changeset({ collection: C, time: wall, ops: [{ kind: "append", record: doc, field: "reviews", value, wall }] })] });
      return all.filter((x) => x !== v).map((x) => importInto(x, [bundle]).rejected ?? 0);
    };
    // Vera posing as an editor, or reviewing as the viewer she is (no reviewer role): refused by every vault's check.
    expect(forged(c, approve(vera, "editor"))).toEqual([1, 1]);
    expect(forged(c, approve(vera, "viewer"))).toEqual([1, 1]);
    // Bob approving his own proposal: a valid write that the walk passes over.
    expect(forged(b, encodeReview({ verdict: "approve", proposal: p.id, digest, user: bob, role: "editor" }))).toEqual([0, 0]);
    syncAll();
    for (const v of all) {
      expect(loadDoc(v, C, doc).proposals.map((x) => x.state)).toEqual(["pending"]);
      expect(found(v, "Fridays")).toEqual([]);
      expect(found(v, "Mondays")).toEqual([doc]);
    }
  });

  it("a merge beyond the budget: every vault imports the concurrent approvals at once, shows the proposal conflicted and finds the same text", async () => {
    const { a, b, c, all, syncAll } = await setup();
    // Blank lines are node-diff3's worst case: 2,000 took about 9 s a merge, inside every import.
    const big = "# Big\n" + "\n".repeat(2000) + "end\n";
    const { id: doc } = createDoc(a, C, "Big", big);
    syncAll();
    const p1 = propose(a, C, doc, big.replace("# Big", "# Big Tuesdays"), "one");
    const p2 = propose(b, C, doc, big.replace("end", "Shred"), "two");
    syncAll();
    review(b, C, p1.id, "approve");
    review(a, C, p2.id, "approve");
    syncAll();
    for (const v of all) {
      const s = loadDoc(v, C, doc);
      // The first approval in the log is accepted as written; the other needs a merge, not tried.
      const states = s.proposals.map((x) => x.state).sort();
      expect(states).toEqual(["accepted", "conflicted"]);
      expect(s.proposals.find((x) => x.state === "conflicted")!.tooLarge).toBeDefined();
      const accepted = s.versions[s.versions.length - 1]!.text;
      const word = accepted.includes("Tuesdays") ? "Tuesdays" : "Shred";
      expect(found(v, word)).toEqual([doc]);
      expect(found(v, word === "Tuesdays" ? "Shred" : "Tuesdays")).toEqual([]);
    }
    expect(new Set(all.map((v) => loadDoc(v, C, doc).versions.at(-1)!.text)).size).toBe(1);
    void c;
  });

  it("a long-lived document keeps merging: concurrent approvals on an older base merge in every round, alike on every vault", async () => {
    const { a, b, all, syncAll } = await setup();
    // 1,500 lines, a quarter blank: each merge is about 1.4·10⁸ LCS steps, so the older release's
    // budget of 6·10⁸ per document's history stopped merging this document after four.
    const lines = Array.from({ length: 1500 }, (_, i) => (i % 4 === 3 ? "\n" : `Clause ${i} of the agreement.\n`));
    const { id: doc } = createDoc(a, C, "Agreement", lines.join(""));
    syncAll();
    const rounds = 6;
    const amend = (text: string, clause: number): string => text.replace(`Clause ${clause} of`, `Clause ${clause} (amended) of`);
    let want = lines.join("");
    for (let round = 0; round < rounds; round++) {
      const head = loadDoc(a, C, doc).versions.at(-1)!.text;
      const p1 = propose(a, C, doc, amend(head, 4 * round), `a${round}`);
      const p2 = propose(b, C, doc, amend(head, 1400 + 4 * round), `b${round}`);
      syncAll();
      // Offline from each other, each approves the other's: one is accepted as written, the other merged.
      review(b, C, p1.id, "approve");
      review(a, C, p2.id, "approve");
      syncAll();
      want = amend(amend(want, 4 * round), 1400 + 4 * round);
    }
    for (const v of all) {
      const s = loadDoc(v, C, doc);
      expect(s.proposals.map((x) => x.state)).toEqual(Array<string>(2 * rounds).fill("accepted"));
      expect(s.versions.filter((x) => x.merged)).toHaveLength(rounds);
      expect(s.versions.at(-1)!.text).toBe(want);
      expect(found(v, "amended")).toEqual([doc]);
    }
  });

  it("a document whose entry cannot be computed costs that entry only: the import and a reindexing open succeed", async () => {
    const { a, b, doc, syncAll } = await setup();
    const p = propose(a, C, doc, TEXT.replace("Mondays", "Thursdays"), "thursday");
    syncAll();
    review(b, C, p.id, "approve");
    // Stand-in for any failure inside one entry (the stack overflow node-diff3 could throw).
    const original = docsApp.searchText;
    const spy = vi.spyOn(docsApp, "searchText").mockImplementation((view, context) => {
      if (context !== undefined && view.id === doc) throw new RangeError("Maximum call stack size exceeded");
      return original(view, context);
    });
    try {
      const report = sync(b, a)[0]!;
      expect(report.rejected ?? 0).toBe(0);
      // The approval arrived (Alice's vault shows it accepted); the entry fell back to the title alone.
      expect(loadDoc(a, C, doc).versions).toHaveLength(2);
      expect(found(a, "Handbook")).toEqual([doc]);
      expect(found(a, "Thursdays")).toEqual([]);
      expect(found(a, "Mondays")).toEqual([]);
      // The proposal's own entry is written as usual.
      expect(found(a, "thursday")).toEqual([p.id]);
      a.storage.meta.delete("search.version");
      const again = await reopen(a);
      expect(again.storage.meta.get("search.version")).toBeDefined();
      expect(found(again, "Handbook")).toEqual([doc]);
      again.close();
    } finally {
      spy.mockRestore();
    }
  });

  it("a reindex that fails leaves the vault opening, with the older index and its version kept for the next open", async () => {
    const { b, doc } = await setup();
    const opened = await reopen(b);
    opened.storage.meta.delete("search.version");
    const spy = vi.spyOn(RecordStore.prototype, "reindex").mockImplementation(() => {
      throw new Error("disk I/O error");
    });
    let again: Vault;
    try {
      again = await reopen(opened);
    } finally {
      spy.mockRestore();
    }
    expect(found(again, "Mondays")).toEqual([doc]);
    expect(again.storage.meta.get("search.version")).toBeUndefined();
    const third = await reopen(again);
    expect(third.storage.meta.get("search.version")).toBeDefined();
    third.close();
  });
});
