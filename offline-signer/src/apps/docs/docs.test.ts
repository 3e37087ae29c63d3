/** Documents across real vaults and real bundles: drafts merge, reviews converge, forgeries are refused everywhere. */
import { describe, expect, it } from "vitest";
import { HostileMember } from "../../../test-support/hostile.js";
import { docsTeam } from "../../../test-support/docs-team.js";
import { importInto, sync, tempRoots } from "../../../test-support/vaults.js";
import type { Vault } from "../../vault/vault.js";
import { DocsConflictError, draftOf, editDraft, loadDoc, propose, review, setSettings } from "./ops.js";
import { draftId, encodeReview } from "./record.js";
import { clientIdOf } from "./yjs-update.js";
import { draftEdit } from "./draft.js";

const root = tempRoots("airlock-docs-");
const C = "handbook";
const PARAS = ["# Handbook", "Meet at the safe house on Mondays.", "Phones stay off in the car.", "Pay sources in cash only.", "Burn notes after reading."];
const TEXT = PARAS.join("\n\n") + "\n";
const withPara = (text: string, i: number, next: string): string => text.replace(PARAS[i]!, next);

/** Alice (owner) on a, Bob (editor) on b, Vera (viewer) on c; a docs collection everyone may write, so only the app's check stands between a viewer and a review. */
async function setup(): Promise<{ a: Vault; b: Vault; c: Vault; doc: string; sync2(): void }> {
  const { a, b, c, doc } = await docsTeam(root(), { third: { name: "vera", role: "viewer" }, writeRole: "viewer", collection: C, text: TEXT });
  sync(a, b, c);
  const sync2 = (): void => {
    sync(a, b, c);
    sync(b, a, c);
  };
  return { a, b, c, doc, sync2 };
}

const userOf = (v: Vault): string => v.me().user.id;

describe("docs", () => {
  it("two editors edit one draft offline on two vaults: both edits survive, the same text everywhere", async () => {
    const { a, b, c, doc, sync2 } = await setup();
    expect(draftOf(b, C, doc)).toBe(TEXT);
    const fromA = withPara(TEXT, 1, "Meet at the safe house on Tuesdays.");
    const fromB = withPara(TEXT, 3, "Pay sources through the fund.");
    expect(editDraft(a, C, doc, fromA).bytes).toBeGreaterThan(0);
    expect(editDraft(b, C, doc, fromB).bytes).toBeGreaterThan(0);
    sync2();
    const both = withPara(withPara(TEXT, 1, "Meet at the safe house on Tuesdays."), 3, "Pay sources through the fund.");
    for (const v of [a, b, c]) expect(draftOf(v, C, doc)).toBe(both);
    // Unchanged text writes nothing.
    expect(editDraft(a, C, doc, both)).toEqual({ doc, bytes: 0 });
  });

  it("a proposal approved on one vault and a concurrent one on another end in the same accepted version everywhere", async () => {
    const { a, b, doc, sync2 } = await setup();
    const p1 = propose(a, C, doc, withPara(TEXT, 1, "Meet on Tuesdays."), "tuesday");
    const p2 = propose(b, C, doc, withPara(TEXT, 4, "Shred notes after reading."), "shred");
    sync2();
    // Offline from each other: Bob approves Alice's, Alice approves Bob's.
    expect(review(b, C, p1.id, "approve")).toMatchObject({ state: "accepted", version: 2 });
    expect(review(a, C, p2.id, "approve")).toMatchObject({ state: "accepted", version: 2 });
    sync2();
    const want = withPara(withPara(TEXT, 1, "Meet on Tuesdays."), 4, "Shred notes after reading.");
    const states = [a, b].map((v) => loadDoc(v, C, doc));
    for (const s of states) {
      expect(s.versions.map((v) => v.n)).toEqual([1, 2, 3]);
      expect(s.versions[2]!.text).toBe(want);
      expect(s.versions[2]!.merged).toBe(true);
      expect(s.proposals.map((p) => p.state)).toEqual(["accepted", "accepted"]);
    }
    expect(states[0]!.versions.map((v) => v.id)).toEqual(states[1]!.versions.map((v) => v.id));
  });

  it("overlapping changes: refused at approval when known, conflicted everywhere when concurrent; rejected proposals are kept", async () => {
    const { a, b, doc, sync2 } = await setup();
    const p1 = propose(a, C, doc, withPara(TEXT, 2, "Phones go in the bag."), "bag");
    const p2 = propose(b, C, doc, withPara(TEXT, 2, "Phones stay at home."), "home");
    const p3 = propose(b, C, doc, withPara(TEXT, 3, "Pay by transfer."), "transfer");
    sync2();
    review(b, C, p1.id, "approve");
    review(a, C, p2.id, "approve");
    sync2();
    for (const v of [a, b]) {
      const s = loadDoc(v, C, doc);
      expect(s.versions).toHaveLength(2);
      const conflicted = s.proposals.filter((p) => p.state === "conflicted");
      expect(conflicted).toHaveLength(1);
      // Which one lost depends on the HLC order, the same on both vaults; its conflict shows both sides.
      expect(conflicted[0]!.conflicts![0]!.base).toContain("Phones stay off in the car.");
      expect(s.versions[1]!.text).not.toContain("Phones stay off");
    }
    // A known conflict is refused at approval time, with the regions.
    const v2 = loadDoc(b, C, doc).versions[1]!.text;
    const line = v2.split("\n\n")[2]!;
    const p4 = propose(b, C, doc, v2.replace(line, "Phones are banned."), "banned");
    const p5 = propose(b, C, doc, v2.replace(line, "Phones are fine."), "fine");
    sync2();
    expect(review(a, C, p4.id, "approve")).toMatchObject({ state: "accepted", version: 3 });
    expect(() => review(a, C, p5.id, "approve")).toThrow(DocsConflictError);
    expect(review(a, C, p3.id, "reject")).toMatchObject({ state: "rejected" });
    sync2();
    const s = loadDoc(b, C, doc);
    expect(s.proposals.find((p) => p.proposal.id === p3.id)).toMatchObject({ state: "rejected", rejectedBy: userOf(a) });
    expect(s.proposals).toHaveLength(5);
    expect(s.proposals.find((p) => p.proposal.id === p5.id)!.state).toBe("pending");
  });

  it("two approvals from admins when the settings say so; settings only by admins", async () => {
    const { a, b, doc, sync2 } = await setup();
    expect(() => setSettings(b, C, { approvals: 2 })).toThrow(/only admins/);
    setSettings(a, C, { reviewer: "admin" });
    const p = propose(a, C, doc, withPara(TEXT, 0, "# Field handbook"), "title");
    sync2();
    expect(() => review(b, C, p.id, "approve")).toThrow(/reviews here are by admins/);
    // Bob's forged settings write is refused on every vault by the check.
    const forged = new HostileMember(b).changeset({ collection: C, ops: [{ kind: "set", record: "settings", field: "approvals", value: 1 }] });
    const bundle = new HostileMember(b).bundle({ changesets: [forged] });
    expect(importBundle(a, bundle).rejected).toBe(1);
  });

  it("forged reviews and draft updates are refused on every vault", async () => {
    const { a, b, c, doc, sync2 } = await setup();
    const p = propose(a, C, doc, withPara(TEXT, 1, "Meet on Fridays."), "friday");
    sync2();
    const digest = loadDoc(c, C, doc).proposals[0]!.proposal.digest;
    const approval = (user: string, role: "editor" | "admin" | "owner"): string => encodeReview({ verdict: "approve", proposal: p.id, digest, user, role });
    const vera = new HostileMember(c);
    const bob = new HostileMember(b);
    const forgeries = [
      // A viewer approving as an editor.
      vera.changeset({ collection: C, ops: [{ kind: "append", record: doc, field: "reviews", value: approval(userOf(c), "editor") }] }),
      // A viewer approving in an editor's name.
      vera.changeset({ collection: C, ops: [{ kind: "append", record: doc, field: "reviews", value: approval(userOf(b), "editor") }] }),
    ];
    const bobs = [
      // An editor approving as an admin, and in the owner's name.
      bob.changeset({ collection: C, ops: [{ kind: "append", record: doc, field: "reviews", value: approval(userOf(b), "admin") }] }),
      bob.changeset({ collection: C, ops: [{ kind: "append", record: doc, field: "reviews", value: approval(userOf(a), "owner") }] }),
      // A draft update written as Alice's Yjs client.
      bob.changeset({ collection: C, ops: [{ kind: "append", record: draftId(doc), field: "updates", value: draftEdit([], a.deviceId, "hijacked\n")! }] }),
      // A proposal in Alice's name.
      bob.changeset({ collection: C, ops: [{ kind: "set", record: "feedfeedfeedfeed", field: "doc", value: doc }, { kind: "set", record: "feedfeedfeedfeed", field: "by", value: userOf(a) }] }),
    ];
    for (const v of [a, b]) expect(importBundle(v, vera.bundle({ changesets: forgeries })).rejected).toBe(2);
    for (const v of [a, c]) expect(importBundle(v, bob.bundle({ changesets: bobs })).rejected).toBe(4);
    for (const v of [a, b, c]) {
      const s = loadDoc(v, C, doc);
      expect(s.versions).toHaveLength(1);
      expect(s.proposals[0]!.approvals).toEqual([]);
      expect(draftOf(v, C, doc)).toBe(TEXT);
    }
    // The honest client derives its Yjs id from the device: two devices, two ids.
    expect(clientIdOf(a.deviceId)).not.toBe(clientIdOf(b.deviceId));
  });
});

function importBundle(v: Vault, bytes: Uint8Array): { rejected: number } {
  return importInto(v, [bytes]);
}
