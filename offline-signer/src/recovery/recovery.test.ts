/**
 * Recovery from a lost laptop across real vaults (docs/recovery.md): a 3-of-5 set, two shares
 * lost, a forged one refused by name, the identity restored on a fresh vault, the lost device
 * revoked at the highest seq the holders saw, and everything re-delivered (keys through an
 * admin's key repair, changesets through acks) so the new laptop reads every collection.
 * Paper cards go through real PNG pages decoded from their pixels.
 */
import { describe, expect, it } from "vitest";
import { sealBundle } from "@airlock/bundle-format";
import { decodeImage, scanQrPixels } from "@airlock/shared";
import { exportBundles } from "../vault/sync.js";
import { stateDigest } from "../vault/report.js";
import { importInto, newVault, sync, tempRoots, TestClock } from "../../test-support/vaults.js";
import type { Vault } from "../vault/vault.js";
import { renderCard } from "./card-png.js";
import { encodePiece, encodeRelease, parsePiece, setLabel } from "./codec.js";
import { heldShares, releaseShare } from "./holder.js";
import { finishRecovery, judgeInputs, restoreFrom, startRecovery, type RecoveryInput } from "./restore.js";
import { setupRecovery, type PaperShare } from "./setup.js";

const root = tempRoots();

function exchange(vaults: readonly Vault[], rounds = 2): void {
  for (let r = 0; r < rounds; r++) for (const from of vaults) sync(from, ...vaults.filter((v) => v !== from));
}

const note = (v: Vault, id: string, title: string): void => {
  v.write("notes", [{ kind: "set", record: id, field: "title", value: title }]);
};

/** A paper card as a real PNG page, read back from its pixels: what a scan gives `recover add`. */
function scannedCard(piece: Uint8Array, source: string): RecoveryInput {
  const png = renderCard(piece, { index: 1, printed: 2, threshold: 3, total: 5, set: "test", check: "test" });
  const found = scanQrPixels(decodeImage(png, source));
  if (!(found instanceof Uint8Array)) throw new Error("the card's QR code did not decode");
  return { source, kind: "card", bytes: found };
}

/**
 * Alice (owner), Bob (admin), Carol (editor) and Dana (editor, the one who loses her laptop), a
 * "sources" collection for editors; Dana splits her identity 3 of 5: Alice, Bob and Carol hold
 * one share each, two are printed.
 */
async function teamWithRecovery(): Promise<{ r: string; clock: TestClock; a: Vault; b: Vault; c: Vault; d: Vault; paper: readonly PaperShare[]; setId: string }> {
  const r = root();
  const clock = new TestClock();
  const a = await newVault(r, "a", clock);
  a.init("Field office", "alice");
  const [b, c, d] = [await newVault(r, "b", clock), await newVault(r, "c", clock), await newVault(r, "d", clock)];
  a.addMember(b.joinRequest("bob").bytes, "admin");
  a.addMember(c.joinRequest("carol").bytes, "editor");
  a.addMember(d.joinRequest("dana").bytes, "editor");
  a.createCollection("sources", "Sources", "editor", "editor");
  exchange([a, b, c, d]);
  note(d, "n1", "dana's first note");
  d.write("sources", [{ kind: "set", record: "s1", field: "title", value: "a source only editors read" }]);
  note(a, "n0", "alice's note");
  const setup = await setupRecovery(d, { threshold: 3, holders: ["alice", "bob", "carol"], paper: 2 });
  exchange([a, b, c, d]);
  return { r, clock, a, b, c, d, paper: setup.paper, setId: setLabel(setup.set) };
}

describe("recovery from a lost laptop (3 of 5 shares)", () => {
  it("two shares lost, a forged one refused by name: the identity is restored on a fresh vault, the lost device revoked, and everything re-delivered", async () => {
    const { r, clock, a, b, c, d, paper } = await teamWithRecovery();
    const dana = d.me().user.id;
    const lostDevice = d.deviceId;
    // Holders see the share sealed to them, checked against the commitment.
    for (const v of [a, b, c]) {
      const held = heldShares(v);
      expect(held.map((h) => [h.name, h.status])).toEqual([["dana", "current"]]);
    }
    // Dana's last edit reaches Alice only, then the laptop is gone (and its later edits are a thief's).
    note(d, "n2", "written just before the loss");
    sync(d, a);
    const danaSeqSeenByAlice = a.storage.heads.seqOf(d.deviceKey.publicKey)!;
    expect(danaSeqSeenByAlice).toBeGreaterThan(c.storage.heads.seqOf(d.deviceKey.publicKey)!);

    // A fresh laptop. Bob's share and paper card 1 are lost; Alice, Carol and card 2 remain.
    const n = await newVault(r, "n", clock);
    const request = startRecovery(n, "dana");
    const fromAlice = releaseShare(a, request.bytes, "dana");
    const fromCarol = releaseShare(c, request.bytes, "dana");
    expect(fromAlice.check).toBeDefined();
    const card = paper[1]!;
    const forgedPiece = parsePiece(card.bytes);
    const forgedShare = forgedPiece.share.slice();
    forgedShare[7]! ^= 0x5a;
    const inputs: RecoveryInput[] = [
      { source: "alice.release", kind: "release", bytes: fromAlice.bytes },
      scannedCard(encodePiece({ ...forgedPiece, share: forgedShare }), "forged.png"),
      { source: "carol.release", kind: "release", bytes: fromCarol.bytes },
      scannedCard(card.bytes, "card-2.png"),
    ];
    const judged = judgeInputs(n, inputs);
    expect(judged.verdicts.map((v) => [v.source, v.status, v.code])).toEqual([
      ["alice.release", "share", undefined],
      ["forged.png", "refused", "RECOVERY_FORGED_SHARE"],
      ["carol.release", "share", undefined],
      ["card-2.png", "share", undefined],
    ]);
    expect(judged.verdicts[1]!.reason).toMatch(/share [a-z2-7-]{19} \(forged\.png\) is not one of the 5 shares recovery set [a-z2-7-]+ committed to: forged or damaged/);
    expect(judged.verdicts[3]!.check).toBe(card.check);

    const restored = await restoreFrom(n, judged);
    expect(restored.waiting).toBe(0);
    expect(restored.revoked).toEqual([{ device: lostDevice, cutoff: danaSeqSeenByAlice }]);
    expect(n.me().user.id).toBe(dana);
    expect(n.me().device.active).toBe(true);
    expect(n.state().devices.get(lostDevice)?.active).toBe(false);
    // The identity key came back: this laptop can add a further device of Dana's itself.
    expect(n.identitySeed()).toBeDefined();

    // Re-delivery: the new laptop holds no key and no changeset yet. One exchange: Alice (an admin
    // who reads every collection) seals it the keys with their history, and every vault sends it
    // what its acks lack.
    expect(n.readableCollections()).toEqual([]);
    exchange([n, a, b, c], 3);
    expect(n.readableCollections()).toEqual(["notes", "sources"]);
    expect(n.record("notes", "n1")?.fields["title"]).toBe("dana's first note");
    expect(n.record("notes", "n2")?.fields["title"]).toBe("written just before the loss");
    expect(n.record("notes", "n0")?.fields["title"]).toBe("alice's note");
    expect(n.record("sources", "s1")?.fields["title"]).toBe("a source only editors read");
    // Dana writes again from the new laptop; everyone reads it.
    note(n, "n3", "back on a new laptop");
    exchange([n, a, b, c]);
    for (const v of [a, b, c]) expect(v.record("notes", "n3")?.fields["title"]).toBe("back on a new laptop");
    expect(stateDigest(a)).toBe(stateDigest(n));
    expect(stateDigest(b)).toBe(stateDigest(n));

    // Whoever has the old laptop: its next change is refused everywhere, and it cannot read new data.
    note(d, "n4", "written by whoever has the lost laptop");
    for (const v of [a, b, c, n]) importInto(v, exportBundles(d));
    for (const v of [a, b, c, n]) expect(v.record("notes", "n4")).toBeUndefined();
    exchange([a, b, c, n]);
    importInto(d, exportBundles(a));
    expect(d.record("notes", "n3")).toBeUndefined();
    // The set is spent: holders list it as used, and it cannot enrol a second laptop.
    expect(heldShares(a).map((h) => h.status)).toEqual(["used"]);
    for (const v of [a, b, c, d, n]) v.close();
  });

  it("fewer than k shares: 'need 3, have 2', duplicates counted once, nothing stored", async () => {
    const { r, clock, a, b, c, d, paper } = await teamWithRecovery();
    const n = await newVault(r, "n", clock);
    const request = startRecovery(n, "dana");
    const fromAlice = releaseShare(a, request.bytes, "dana").bytes;
    const judged = judgeInputs(n, [
      { source: "alice.release", kind: "release", bytes: fromAlice },
      { source: "alice-again.release", kind: "release", bytes: fromAlice },
      scannedCard(paper[0]!.bytes, "card-1.png"),
      scannedCard(paper[0]!.bytes, "card-1-again.png"),
    ]);
    expect(judged.verdicts.map((v) => v.status)).toEqual(["share", "duplicate", "share", "duplicate"]);
    await expect(restoreFrom(n, judged)).rejects.toMatchObject({ code: "RECOVERY_NOT_ENOUGH", message: expect.stringMatching(/need 3 shares of recovery set [a-z2-7-]+, have 2$/) });
    expect(n.teamId).toBeUndefined();
    expect(n.identitySeed()).toBeUndefined();
    for (const v of [a, b, c, d, n]) v.close();
  });

  it("a share of another team's recovery is refused as such, and a card alone cannot be checked without a teammate's release", async () => {
    const { r, clock, a, b, c, d, paper } = await teamWithRecovery();
    const x = await newVault(r, "x", clock);
    x.init("Other team", "dana");
    const other = await setupRecovery(x, { threshold: 2, holders: [], paper: 2 });
    const n = await newVault(r, "n", clock);
    const request = startRecovery(n, "dana");
    const alone = judgeInputs(n, [scannedCard(paper[0]!.bytes, "card-1.png")]);
    expect(alone.verdicts[0]).toMatchObject({ status: "refused", code: "RECOVERY_NO_LOG" });
    await expect(restoreFrom(n, alone)).rejects.toMatchObject({ code: "RECOVERY_NO_LOG" });
    const judged = judgeInputs(n, [
      { source: "alice.release", kind: "release", bytes: releaseShare(a, request.bytes, "dana").bytes },
      scannedCard(other.paper[0]!.bytes, "other-team.png"),
    ]);
    expect(judged.verdicts[1]).toMatchObject({ status: "refused", code: "RECOVERY_WRONG_TEAM" });
    expect(judged.verdicts[1]!.reason).toMatch(/belongs to another team/);
    for (const v of [a, b, c, d, n, x]) v.close();
  });

  it("with approvals required, the enrolment waits for the admins; recover finish then revokes the lost laptop", async () => {
    const { r, clock, a, b, c, d } = await teamWithRecovery();
    a.setApprovals(2);
    exchange([a, b, c, d]);
    const n = await newVault(r, "n", clock);
    const request = startRecovery(n, "dana");
    const judged = judgeInputs(n, [
      { source: "alice", kind: "release", bytes: releaseShare(a, request.bytes, "dana").bytes },
      { source: "bob", kind: "release", bytes: releaseShare(b, request.bytes, "dana").bytes },
      { source: "carol", kind: "release", bytes: releaseShare(c, request.bytes, "dana").bytes },
    ]);
    const restored = await restoreFrom(n, judged);
    // Dana is an editor: her own approval does not count; both admins must approve.
    expect(restored.waiting).toBe(2);
    expect(() => finishRecovery(n)).toThrow(expect.objectContaining({ code: "RECOVERY_WAITING" }));
    sync(n, a, b);
    a.approve(restored.entry.slice(0, 12));
    sync(a, b);
    b.approve(restored.entry.slice(0, 12));
    exchange([a, b, n]);
    expect(n.me().device.active).toBe(true);
    expect(finishRecovery(n).revoked.map((x) => x.device)).toEqual([d.deviceId]);
    exchange([n, a, b, c], 3);
    expect(n.readableCollections()).toEqual(["notes", "sources"]);
    expect(n.record("notes", "n1")?.fields["title"]).toBe("dana's first note");
    for (const v of [a, b, c, d, n]) v.close();
  });

  it("the lost laptop's cutoff comes from the holders' releases, never raised by a log-only release (review M2)", async () => {
    const { r, clock, a, b, c, d, paper } = await teamWithRecovery();
    note(d, "n2", "seen by alice only");
    sync(d, a);
    const byAlice = a.storage.heads.seqOf(d.deviceKey.publicKey)!;
    const byHolders = Math.max(b.storage.heads.seqOf(d.deviceKey.publicKey)!, c.storage.heads.seqOf(d.deviceKey.publicKey)!);
    expect(byAlice).toBeGreaterThan(byHolders);
    const n = await newVault(r, "n", clock);
    const request = startRecovery(n, "dana");
    const judged = judgeInputs(n, [
      { source: "alice", kind: "release", bytes: releaseShare(a, request.bytes, "dana", { logOnly: true }).bytes },
      { source: "bob", kind: "release", bytes: releaseShare(b, request.bytes, "dana").bytes },
      { source: "carol", kind: "release", bytes: releaseShare(c, request.bytes, "dana").bytes },
      scannedCard(paper[0]!.bytes, "card-1.png"),
    ]);
    expect(judged.verdicts.map((v) => v.status)).toEqual(["log", "share", "share", "share"]);
    const restored = await restoreFrom(n, judged);
    expect(restored.revoked).toEqual([{ device: d.deviceId, cutoff: byHolders }]);
    expect(n.state().devices.get(d.deviceId)).toMatchObject({ active: false, cutoff: byHolders });
    for (const v of [a, b, c, d, n]) v.close();
  });

  it("setup whose paper cards cannot be written commits nothing: the working set stays the newest (review M4)", async () => {
    const { a, b, c, d, setId } = await teamWithRecovery();
    const before = d.state().recoverySets.size;
    await expect(setupRecovery(d, { threshold: 2, holders: ["alice"], paper: 1, writePaper: () => { throw new Error("ENOSPC"); } })).rejects.toThrow("ENOSPC");
    expect(d.state().recoverySets.size).toBe(before);
    expect(heldShares(a).map((h) => [setLabel(Buffer.from(h.set.id, "hex")), h.status])).toEqual([[setId, "current"]]);
    for (const v of [a, b, c, d]) v.close();
  });

  it("a release whose share is damaged is refused as a bad release, not as a card to scan again (review L3)", async () => {
    const { r, clock, a, b, c, d } = await teamWithRecovery();
    const n = await newVault(r, "n", clock);
    const request = startRecovery(n, "dana");
    const state = a.state();
    const body = encodeRelease({
      team: state.team,
      user: Buffer.from(d.me().user.id, "hex"),
      for: request.sign,
      piece: new Uint8Array([0xa1, 0x61, 0x78, 0x01]),
      log: state.order.map((h) => a.entries().get(h)!.bytes),
      transport: new Uint8Array(32),
      seen: [],
      created: 1,
    });
    const bytes = sealBundle(body, { recipients: [request.enc], sender: a.deviceKey, mailboxTag: new Uint8Array(16) });
    const judged = judgeInputs(n, [{ source: "alice", kind: "release", bytes }]);
    expect(judged.verdicts[0]).toMatchObject({ status: "refused", code: "RECOVERY_BAD_BUNDLE", reason: expect.stringMatching(/^its share is damaged/) });
    for (const v of [a, b, c, d, n]) v.close();
  });

  it("a sole owner recovers without history, and recover add says so (review M1, documented limit)", async () => {
    const r = root();
    const clock = new TestClock();
    const a = await newVault(r, "a", clock);
    a.init("Field office", "alice");
    const c = await newVault(r, "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "editor");
    exchange([a, c]);
    note(a, "n0", "alice's old note");
    const setup = await setupRecovery(a, { threshold: 2, holders: ["carol"], paper: 1 });
    exchange([a, c]);
    const n = await newVault(r, "n", clock);
    const request = startRecovery(n, "alice");
    const judged = judgeInputs(n, [{ source: "carol", kind: "release", bytes: releaseShare(c, request.bytes, "alice").bytes }, scannedCard(setup.paper[0]!.bytes, "card.png")]);
    const restored = await restoreFrom(n, judged);
    expect(restored.withoutHistory).toEqual(["notes"]);
    expect(restored.revoked.map((x) => x.device)).toEqual([a.deviceId]);
    exchange([n, c], 3);
    expect(n.readableCollections()).toEqual(["notes"]);
    expect(n.record("notes", "n0")).toBeUndefined(); // the limit, as docs/recovery.md states it
    note(n, "n9", "after the recovery");
    sync(n, c);
    expect(c.record("notes", "n9")?.fields["title"]).toBe("after the recovery");
    for (const v of [a, c, n]) v.close();
  });
});
