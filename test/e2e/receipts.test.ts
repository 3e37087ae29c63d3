/**
 * Receipts end to end (issue #15 item 4), both real CLIs as child processes: a courier shows its
 * inbound bundles as QR frame images, the vault imports them from the pixels and makes a receipt
 * (a PNG, and the code drawn in its terminal output), the courier scans the receipt and marks
 * exactly those bundles delivered; then the same by stick, where the receipt goes onto the stick
 * and comes back on the courier's next ingest of it.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes, sealBundle, x25519KeyPair, ed25519KeyPair } from "@airlock/bundle-format";
import { FountainDecoder } from "@airlock/bundle-format";
import { receiptsFolderOf, scanQrPixels } from "@airlock/shared";
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
const courierHome = join(root, "courier");

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
    expect(decoder.message?.subarray(0, 3)).toEqual(new Uint8Array([0x41, 0x52, 0x43]));

    const [first, replay] = courierMany([
      { home: courierHome, args: ["ingest", png] },
      { home: courierHome, args: ["ingest", png] },
    ]);
    expect(confirmed(first!)).toEqual(digests);
    expect(first!["refused"]).toEqual([]);
    expect(replay!["receipts"]).toMatchObject([{ confirmed: [], already: 2 }]);
    expect(awaiting()).toBe(0);
  });

  it("by stick: the vault writes its receipt onto the stick, the courier's next ingest of it reads and removes it", () => {
    const digests = inbound(3);
    const stick = join(root, "stick");
    mkdirSync(stick);
    expect((courier(courierHome, ["deliver", "--usb", stick])["delivered"] as unknown[]).length).toBe(3);
    const [dry, real] = airlockSteps([
      { home: vault, args: ["import", "--dry-run", stick] },
      { home: vault, args: ["import", stick] },
    ]).map((r) => JSON.parse(r.stdout) as Json);
    expect(dry!["receipts"]).toBeUndefined(); // a dry run makes no receipt
    const imported = real!;
    expect(imported["receipts"]).toMatchObject({ listed: 3, codes: [], files: [expect.stringMatching(/airlock\/receipts\/[a-z2-7]{26}\.receipt$/)] });
    expect(awaiting()).toBe(3);
    const back = courier(courierHome, ["ingest", stick]);
    expect(confirmed(back)).toEqual(digests);
    expect(readdirSync(receiptsFolderOf(stick))).toEqual([]);
    expect(awaiting()).toBe(0);
  });
});
