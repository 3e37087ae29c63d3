/**
 * Inbound bundles handed over and awaiting the vault's receipt, in a real spool file: they leave
 * the fetch quota (undelivered) for a bound of their own (trimAwaiting), expire counted from when
 * they were last handed over, and are counted apart (expired awaiting-receipt).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ed25519KeyPair, sealBundle, x25519KeyPair } from "@airlock/bundle-format";
import { Spool } from "./spool.js";

const dir = mkdtempSync(join(tmpdir(), "airlock-awaiting-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sender = ed25519KeyPair();
const recipient = x25519KeyPair();
const TEAM = "ab".repeat(32);
const DAY = 86_400_000;
const bundle = (i: number): Uint8Array => sealBundle(new TextEncoder().encode(`body ${i}`), { recipients: [recipient.publicKey], sender, mailboxTag: new Uint8Array(16).fill(3) });

describe("bundles awaiting a receipt", () => {
  it("leave the fetch quota when handed over, and expire counted from the handing, as awaiting-receipt", () => {
    const clock = { now: 1_000 * DAY };
    const spool = Spool.open(join(dir, "expiry.sqlite"), { now: () => clock.now });
    const [a, b] = spool.putMany([0, 1].map((i) => ({ bundle: bundle(i), direction: "inbound" as const, team: TEAM }))).map((p) => p.digest);
    expect(spool.undelivered(TEAM).bundles).toBe(2);
    // Written to a stick on day 29; the other one never handed over.
    clock.now += 29 * DAY;
    spool.markHanded(a!, "usb");
    expect(spool.undelivered(TEAM).bundles).toBe(1);
    expect(spool.awaiting(TEAM)).toMatchObject({ bundles: 1, since: clock.now });
    // Day 31: the never-handed one goes (30 days after it arrived); the handed one waits 30 days from day 29.
    clock.now += 2 * DAY;
    expect(spool.expireUndelivered(TEAM, 30 * DAY)).toBe(1);
    expect(spool.entry(b!)).toBeUndefined();
    expect(spool.entry(a!)?.state).toBe("pending");
    clock.now += 28 * DAY + 1;
    expect(spool.expireUndelivered(TEAM, 30 * DAY)).toBe(0); // returns the never-handed ones only
    expect(spool.entry(a!)).toBeUndefined();
    expect(spool.ledger.counters()).toEqual([expect.objectContaining({ team: TEAM, outcome: "expired", reason: "awaiting-receipt", n: 1 })]);
    spool.close();
  });

  it("are bounded by trimAwaiting: the longest-waiting go first, counted", () => {
    const clock = { now: 5_000 * DAY };
    const spool = Spool.open(join(dir, "bound.sqlite"), { now: () => clock.now });
    const digests = spool.putMany([0, 1, 2, 3].map((i) => ({ bundle: bundle(10 + i), direction: "inbound" as const, team: TEAM }))).map((p) => p.digest);
    for (const d of digests) {
      clock.now += 1000;
      spool.markHanded(d, "qr");
    }
    expect(spool.trimAwaiting(TEAM, { bundles: 4, bytes: 1 << 30 })).toBe(0);
    expect(spool.trimAwaiting(TEAM, { bundles: 2, bytes: 1 << 30 })).toBe(2);
    expect(spool.list().map((e) => e.digest).sort()).toEqual(digests.slice(2).sort());
    const size = spool.entry(digests[3]!)!.length;
    expect(spool.trimAwaiting(TEAM, { bundles: 10, bytes: size })).toBe(1);
    expect(spool.list().map((e) => e.digest)).toEqual([digests[3]]);
    expect(spool.ledger.counters()).toEqual([expect.objectContaining({ reason: "awaiting-receipt", n: 3 })]);
    spool.close();
  });
});
