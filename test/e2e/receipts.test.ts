/**
 * Receipts end to end (issue #15 item 4), both real CLIs as child processes: a courier shows its
 * inbound bundles as QR frame images, the vault imports them from the pixels and makes a receipt
 * (a PNG, and the code drawn in its terminal output), the courier scans the receipt and marks
 * exactly those bundles delivered; then the same by stick, where the receipt goes onto the stick
 * and comes back on the courier's next ingest of it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes, sealBundle, x25519KeyPair, ed25519KeyPair } from "@airlock/bundle-format";
import { FountainDecoder } from "@airlock/bundle-format";
import { openReceipt, ReceiptKey, receiptsFolderOf, scanQrPixels } from "@airlock/shared";
import { terminalToImage } from "../../shared/test-support/terminal.js";
import { resolveHome } from "../../online-courier/src/home/paths.js";
import { loadTeams, transportKeyOf } from "../../online-courier/src/home/teams.js";
import { Spool } from "../../online-courier/src/spool/index.js";
import { Courier } from "../../online-courier/src/courier/courier.js";
import { courierStatus } from "../../online-courier/src/courier/status.js";
import { airlock, airlockSteps, courier, courierMany, type Json } from "./support/cli.js";

const root = mkdtempSync(join(tmpdir(), "airlock-e2e-receipts-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const vault = join(root, "vault");
const otherVault = join(root, "other-vault");
const courierHome = join(root, "courier");

/** A bundle with the team's real tag sealed to another device, as the mailbox brings them. */
function teamBundleBytes(): Uint8Array {
  const tk = transportKeyOf(loadTeams(resolveHome(courierHome))[0]!);
  try {
    return sealBundle(randomBytes(300), { recipients: [x25519KeyPair().publicKey], sender: ed25519KeyPair(), mailboxTag: tk.tag("real", tk.epochAt(Date.now())) });
  } finally {
    tk.wipe();
  }
}

/** `n` bundles with the team's real tag, as the mailbox brings them, spooled inbound at the courier. */
function inbound(n: number): string[] {
  const home = resolveHome(courierHome);
  const team = loadTeams(home)[0]!;
  const tk = transportKeyOf(team);
  const bundles = Array.from({ length: n }, () =>
    // Sealed to another device of the team: this vault reads it whole and finds it is not for it, which a receipt still lists.
    sealBundle(randomBytes(300), { recipients: [x25519KeyPair().publicKey], sender: ed25519KeyPair(), mailboxTag: tk.tag("real", tk.epochAt(Date.now())) }),
  );
  tk.wipe();
  const spool = Spool.open(home.spoolFile);
  try {
    return spool.putMany(bundles.map((bundle) => ({ bundle, direction: "inbound" as const, team: team.id }))).map((p) => p.digest).sort();
  } finally {
    spool.close();
  }
}
/** What `airlock-courier status` reports as awaiting a receipt (read in-process; the CLI's status is tested in online-courier). */
function awaiting(): number {
  const c = Courier.open(resolveHome(courierHome));
  try {
    return courierStatus(c, Date.now()).teams[0]!.awaitingReceipt.bundles;
  } finally {
    c.close();
  }
}
const confirmed = (j: Json): string[] => (j["receipts"] as { confirmed: string[] }[]).flatMap((r) => r.confirmed).sort();

beforeAll(() => {
  const mailbox = join(root, "mailbox");
  mkdirSync(mailbox);
  airlock(vault, ["init", "--team", "Clinic", "--name", "alice"]);
  courier(courierHome, ["keygen", "--out", join(root, "courier.pub")]);
  airlock(vault, ["courier-enroll", "--courier-key", join(root, "courier.pub"), "--out", join(root, "courier.enrollment")]);
  courier(courierHome, ["init", join(root, "courier.enrollment"), "--mailbox", `dir:${mailbox}`]);
  airlock(otherVault, ["init", "--team", "Other", "--name", "olga"]);
}, 120_000);

describe("receipts, courier -> vault -> courier", () => {
  it("by QR: frames shown, imported from their pixels, the receipt code scanned back marks exactly those bundles delivered", () => {
    const digests = inbound(2);
    const frames = join(root, "frames");
    const shown = courier(courierHome, ["deliver", "--qr", frames]);
    expect(shown["awaitingReceipt"]).toBe(2);

    const png = join(root, "receipt.png");
    // Imported, then again without --json: the receipt code is drawn in the output, and scans.
    const [json, again] = airlockSteps([
      { home: vault, args: ["import", frames, "--receipt-png", png] },
      { home: vault, args: ["import", frames], json: false },
    ]);
    const imported = JSON.parse(json!.stdout) as Json;
    expect(imported["report"]).toMatchObject({ notForMe: 2 });
    expect(imported["receipts"]).toMatchObject({ listed: 2, codes: [{ level: "L", version: 5 }], png: [png], files: [] });
    const text = again!.stdout;
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.startsWith("Receipt for the courier"));
    expect(start).toBeGreaterThan(0);
    const code = lines.slice(start + 1, start + 22).join("\n");
    const decoder = new FountainDecoder();
    decoder.receive(scanQrPixels(terminalToImage(code, 3)) as Uint8Array);
    // The code drawn in the terminal is the whole receipt: it opens under the team's key and names exactly the two bundles.
    const tk = transportKeyOf(loadTeams(resolveHome(courierHome))[0]!);
    const key = ReceiptKey.of(tk);
    tk.wipe();
    const opened = openReceipt(decoder.message!, [{ team: "Clinic", key }]);
    key.wipe();
    expect(opened.ids).toEqual(digests.map((d) => d.slice(0, 16)));

    const [first, replay] = courierMany([
      { home: courierHome, args: ["ingest", png] },
      { home: courierHome, args: ["ingest", png] },
    ]);
    expect(confirmed(first!)).toEqual(digests);
    expect(first!["refused"]).toEqual([]);
    expect(replay!["receipts"]).toMatchObject([{ confirmed: [], already: 2 }]);
    expect(awaiting()).toBe(0);
  });

  it("by stick: the vault writes its receipt (this stick's bundles only) onto the stick, the courier's next ingest of it reads and removes it; a dry run and another team's vault write none", () => {
    const digests = inbound(3);
    const stick = join(root, "stick");
    mkdirSync(stick);
    expect((courier(courierHome, ["deliver", "--usb", stick])["delivered"] as unknown[]).length).toBe(3);
    const dry = airlock(vault, ["import", "--dry-run", stick]);
    expect(dry["receipts"]).toBeUndefined(); // a dry run makes no receipt
    expect(existsSync(receiptsFolderOf(stick))).toBe(false);
    // A vault of another team sharing the stick: none of these bundles is its team's, so no receipt its courier could not open.
    expect(airlock(otherVault, ["import", stick])["receipts"]).toBeUndefined();
    expect(existsSync(receiptsFolderOf(stick))).toBe(false);
    // With the stick, a bundle file another courier brought: the code lists both, the stick's receipt only the stick's own.
    const elsewhere = join(root, "from-another-courier.airlock");
    writeFileSync(elsewhere, teamBundleBytes());
    const imported = airlock(vault, ["import", stick, elsewhere]);
    expect(imported["receipts"]).toMatchObject({ listed: 4, codes: [{ version: 5 }], files: [expect.stringMatching(/airlock\/receipts\/[a-z2-7]{26}\.receipt$/)] });
    expect(awaiting()).toBe(3);
    const back = courier(courierHome, ["ingest", stick]);
    expect(confirmed(back)).toEqual(digests);
    expect(back["receipts"]).toMatchObject([{ listed: 3, unknown: 0, file: "removed" }]);
    expect(readdirSync(receiptsFolderOf(stick))).toEqual([]);
    expect(awaiting()).toBe(0);
  });
});
