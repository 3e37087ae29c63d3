/**
 * Recovery through the real `airlock` bin as child processes (docs/recovery.md): `recovery setup`
 * writes a paper card PNG and seals a share to a teammate; the teammate lists it and releases it
 * to a new laptop's `recover start` request after checking its fingerprint; `recover add` reads
 * the release and the card from its pixels, refuses a forged card by name (exit 3), restores the
 * identity and revokes the lost laptop; after one export each way the new laptop reads the notes.
 * The two-member team is made in-process; every recovery step is a command.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { airlock, airlockBatch, CLI_PASSPHRASE } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";
import { passphraseBytes } from "../store/index.js";
import { exportBundles, importBundles } from "../vault/sync.js";
import { Vault } from "../vault/vault.js";
import { renderCard } from "./card-png.js";
import { encodePiece, parsePiece, parseRecoveryRequest } from "./codec.js";
import { fingerprint } from "../vault/request.js";
import { decodeImage, scanQrPixels } from "@airlock/shared";
import { createSpace } from "../spaces/spaces.js";

const { root, cleanup } = tempRoot("airlock-recovery-cli-");
afterAll(cleanup);

const create = (home: string): Promise<Vault> => Vault.create(home, passphraseBytes(CLI_PASSPHRASE), { kdf: "test-insecure" });

function ok(args: readonly string[]): Record<string, unknown> {
  const r = airlock([...args, "--json"]);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function stick(name: string): string {
  const s = join(root, name);
  for (const b of ["inbox", "outbox"]) mkdirSync(join(s, "airlock", b), { recursive: true });
  return s;
}

describe("airlock recovery / recover (child processes)", () => {
  it("setup -> paper card PNG and a teammate's share -> recover on a fresh vault, a forged card refused by name", async () => {
    const [a, d, n] = ["a", "d", "n"].map((x) => join(root, x)) as [string, string, string];
    {
      const alice = await create(a);
      alice.init("Field office", "alice");
      const dana = await create(d);
      alice.addMember(dana.joinRequest("dana").bytes, "editor");
      importBundles(dana, exportBundles(alice).map((b, i) => ({ bytes: b.bytes, source: `b${i}` })));
      dana.write("notes", [{ kind: "set", record: "n1", field: "title", value: "dana's note before the loss" }]);
      alice.close();
      dana.close();
    }
    const cards = join(root, "cards");
    const setup = ok(["recovery", "setup", "--threshold", "2", "--holder", "alice", "--paper", "1", "--out", cards, "--home", d]);
    const card = (setup["cards"] as { file: string; check: string }[])[0]!;
    expect(card.file).toBe(join(cards, "recovery-card-1.png"));
    // The page is a real PNG whose QR code decodes from its pixels to the share.
    const piece = parsePiece(scanQrPixels(decodeImage(readFileSync(card.file), card.file)) as Uint8Array);
    const s1 = stick("s1");
    const requestFile = join(root, "dana.airlock-recovery");
    const releaseFile = join(root, "from-alice.airlock-release");
    // Steps that are not about the process share one (cli-batch): the holder gets the share, the new laptop (Dana's is gone) starts.
    const [, , heldRun, startRun] = airlockBatch([["export", "--usb", s1, "--home", d], ["import", s1, "--home", a], ["recovery", "held", "--home", a, "--json"], ["recover", "start", "dana", "--out", requestFile, "--home", n, "--json"]]);
    expect(JSON.parse(heldRun!.stdout)["shares"]).toMatchObject([{ name: "dana", status: "current", threshold: 2, total: 2 }]);
    const started = JSON.parse(startRun!.stdout) as Record<string, unknown>;
    expect(started["fingerprint"]).toBe(fingerprint(parseRecoveryRequest(new Uint8Array(readFileSync(requestFile)))));
    const [wrong] = airlockBatch([["recovery", "release", "--for", "dana", requestFile, "--fingerprint", "aaaa-bbbb-cccc-dddd", "--out", releaseFile, "--home", a, "--json"]]);
    expect(wrong!.status).toBe(1);
    expect(JSON.parse(wrong!.stdout)).toMatchObject({ ok: false, error: { code: "JOIN_FINGERPRINT_MISMATCH" } });
    expect(existsSync(releaseFile)).toBe(false);
    const released = ok(["recovery", "release", "--for", "dana", requestFile, "--fingerprint", String(started["fingerprint"]), "--out", releaseFile, "--home", a]);
    expect(released["share"]).toBe(true);

    // With the release alone: need 2, have 1, nothing stored.
    const [few] = airlockBatch([["recover", "add", releaseFile, "--home", n, "--json"]]);
    expect(few!.status).toBe(1);
    expect(JSON.parse(few!.stdout)).toMatchObject({ ok: false, error: { code: "RECOVERY_NOT_ENOUGH", message: expect.stringMatching(/need 2 shares of recovery set \S+, have 1/) } });

    const forged = join(root, "forged-card.png");
    const share = piece.share.slice();
    share[3]! ^= 1;
    writeFileSync(forged, renderCard(encodePiece({ ...piece, share }), { index: 1, printed: 1, threshold: 2, total: 2, set: "x", check: "x" }));
    const added = airlock(["recover", "add", releaseFile, forged, card.file, "--home", n]);
    expect(added.status, added.stdout + added.stderr).toBe(3);
    expect(added.stderr).toContain(`${forged}: refused: share `);
    expect(added.stderr).toMatch(/is not one of the 2 shares recovery set \S+ committed to: forged or damaged \(RECOVERY_FORGED_SHARE\)/);
    expect(added.stderr).toContain(`${card.file}: share ${card.check} (card)`);
    expect(added.stdout).toMatch(/Restored your identity in team "Field office"[\s\S]*Revoked lost device/);

    // One export each way: alice's vault seals the new laptop the keys, and sends the notes.
    const s2 = stick("s2");
    const s3 = stick("s3");
    const after = airlockBatch([
      ["export", "--usb", s2, "--home", n],
      ["import", s2, "--home", a],
      ["export", "--usb", s3, "--home", a],
      ["import", s3, "--home", n],
      ["notes", "list", "--home", n, "--json"],
      ["devices", "list", "--home", a, "--json"],
    ]);
    for (const r of after) expect(r.status, r.stdout + r.stderr).toBe(0);
    const notes = JSON.parse(after[4]!.stdout)["notes"] as { title: string }[];
    expect(notes.map((x) => x.title)).toContain("dana's note before the loss");
    const devices = JSON.parse(after[5]!.stdout)["devices"] as { user: string; active: boolean }[];
    expect(devices.filter((x) => x.user === "dana").map((x) => x.active).sort()).toEqual([false, true]);
  });
});

describe("recovering a further space (docs/spaces.md: an identity per space)", () => {
  it("recover start --new-space makes the space to recover into; recover add --space restores that team's identity", async () => {
    const [a, d, n] = ["sa", "sd", "sn"].map((x) => join(root, x)) as [string, string, string];
    {
      const alice = await create(a);
      alice.init("Field office", "alice");
      const dana = await create(d);
      dana.init("Dana's own", "dana");
      const { vault: aliceC } = createSpace(alice, "Coalition");
      aliceC.init("Coalition", "alice");
      const { vault: danaC } = createSpace(dana, "Coalition");
      aliceC.addMember(danaC.joinRequest("dana").bytes, "editor");
      importBundles(danaC, exportBundles(aliceC).map((b, i) => ({ bytes: b.bytes, source: `b${i}` })));
      danaC.write("notes", [{ kind: "set", record: "c1", field: "title", value: "coalition note before the loss" }]);
      for (const v of [aliceC, danaC, alice, dana]) v.close();
    }
    const cards = join(root, "space-cards");
    const setup = ok(["recovery", "setup", "--threshold", "2", "--holder", "alice", "--paper", "1", "--out", cards, "--space", "Coalition", "--home", d]);
    const card = (setup["cards"] as { file: string }[])[0]!;
    const s1 = stick("space-s1");
    const requestFile = join(root, "dana-coalition.airlock-recovery");
    const releaseFile = join(root, "coalition-release.airlock-release");
    const [exported, , , startRun] = airlockBatch([
      ["export", "--usb", s1, "--home", d, "--json"],
      ["import", s1, "--home", a],
      ["init", "--team", "Scratch", "--name", "dana", "--home", n],
      ["recover", "start", "dana", "--new-space", "Coalition", "--out", requestFile, "--home", n, "--json"],
    ]);
    // Dana's own team has no other device: only the Coalition space had something to send.
    expect((JSON.parse(exported!.stdout)["spaces"] as { space: { name: string }; bundles: unknown[] }[]).map((s) => [s.space.name, s.bundles.length > 0])).toEqual([
      ["Dana's own", false],
      ["Coalition", true],
    ]);
    const fp = String((JSON.parse(startRun!.stdout) as Record<string, unknown>)["fingerprint"]);
    ok(["recovery", "release", "--for", "dana", requestFile, "--fingerprint", fp, "--out", releaseFile, "--space", "Coalition", "--home", a]);
    const added = airlock(["recover", "add", releaseFile, card.file, "--space", "Coalition", "--home", n]);
    expect(added.status, added.stdout + added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Restored your identity in team "Coalition"/);
    const s2 = stick("space-s2");
    const s3 = stick("space-s3");
    const after = airlockBatch([
      ["export", "--usb", s2, "--home", n],
      ["import", s2, "--home", a],
      ["export", "--usb", s3, "--home", a, "--space", "Coalition"],
      ["import", s3, "--home", n],
      ["notes", "list", "--space", "Coalition", "--home", n, "--json"],
      ["spaces", "list", "--home", n, "--json"],
    ]);
    for (const r of after) expect(r.status, r.stdout + r.stderr).toBe(0);
    expect((JSON.parse(after[4]!.stdout)["notes"] as { title: string }[]).map((x) => x.title)).toContain("coalition note before the loss");
    expect((JSON.parse(after[5]!.stdout)["spaces"] as { name: string; team: string }[]).map((s) => [s.name, s.team])).toEqual([
      ["Scratch", "Scratch"],
      ["Coalition", "Coalition"],
    ]);
  });
});
