/** Search over documents on real vaults and real bundles: every vault finds a document by its accepted text, and only by it. */
import { describe, expect, it } from "vitest";
import { newVault, reopen, sync, team, tempRoots } from "../../../test-support/vaults.js";
import type { Vault } from "../../vault/vault.js";
import { createDoc, propose, review, setSettings } from "./ops.js";

const root = tempRoots("airlock-docs-search-");
const C = "handbook";
const TEXT = "# Handbook\n\nMeet at the safehouse on Mondays.\n\nPhones stay off in the car.\n\nBurn notes after reading.\n";

/** Alice (owner) on a, Bob (editor) on b, Vera (viewer) on c. */
async function setup(): Promise<{ a: Vault; b: Vault; c: Vault; doc: string; all: Vault[]; syncAll(): void }> {
  const r = root();
  const { a, b, clock } = await team(r);
  const c = await newVault(r, "c", clock);
  a.addMember(c.joinRequest("vera").bytes, "viewer");
  a.createCollection(C, "Handbook", "viewer", "viewer", "docs");
  const { id: doc } = createDoc(a, C, "Handbook", TEXT);
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
    // What an older release left: the first version indexed, and no search version.
    const db = b.store.connection();
    const id = (db.prepare("SELECT id FROM records WHERE collection = ? AND record = ?").get(C, doc) as { id: number }).id;
    db.prepare("DELETE FROM search WHERE rowid = ?").run(id);
    db.prepare("INSERT INTO search (rowid, title, body) VALUES (?, ?, ?)").run(id, "Handbook", TEXT);
    db.prepare("DELETE FROM meta WHERE key = 'search.version'").run();
    expect(found(b, "Saturdays")).toEqual([]);
    const again = await reopen(b);
    expect(found(again, "Saturdays")).toEqual([doc]);
    expect(found(again, "Mondays")).toEqual([]);
    again.close();
  });
});
