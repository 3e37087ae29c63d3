/**
 * Receipts on the courier, through the real CLI as a child process and a real spool: handing a
 * bundle over leaves it deliverable (with --again) until a receipt names it; a forged, foreign,
 * altered, cut, oversized or garbage receipt is refused with its code and changes nothing; a
 * replayed one changes nothing; a lost one leaves the bundles deliverable; a stick's receipt is
 * read on ingest and removed only when all it names is delivered here; only bundles this courier
 * handed over are marked, and with a draining key only those that arrived before the rotation.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { randomBytes, toHex } from "@airlock/bundle-format";
import { ReceiptKey, receiptIdOf, receiptSymbol, receiptsFolderOf, renderReceiptPng, TRANSPORT_GRACE_MS, TransportKey, writeBundle, writeReceiptFile } from "@airlock/shared";
import { makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { Spool, type SpoolEntry } from "../spool/index.js";
import { loadTeams, saveTeams } from "../home/teams.js";
import { openSqlite } from "../spool/sqlite.js";
import type { CourierHome } from "../home/paths.js";
import { Courier } from "./courier.js";
import { courierStatus, type CourierStatus } from "./status.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "airlock-courier.js");
const dir = tempDir("courier-receipts");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;
function cli(home: CourierHome, args: string[]): { status: number | null; out: Json; text: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, "--home", home.root, "--json"], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
  // With --json stdout is the JSON alone (deliver --show draws its frames on stderr).
  return { status: r.status, out: JSON.parse(r.stdout) as Json, text: r.stderr };
}
function human(home: CourierHome, args: string[]): string {
  return spawnSync(process.execPath, [BIN, ...args, "--home", home.root], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] }).stdout;
}

/** A courier home holding `n` inbound bundles of `team` (as a sync pulls them), and their digests. */
function courierWith(name: string, team: TestTeam, n: number, firstSeen?: number): { home: CourierHome; digests: string[]; bundles: Uint8Array[] } {
  const home = setupCourierHome(join(dir, name), [team], "dir:/unused");
  const id = loadTeams(home)[0]!.id;
  const bundles = Array.from({ length: n }, () => teamBundle(team, team.tk.epochAt(Date.now()), randomBytes(200)));
  // One first-seen time for all: a putMany straddling a millisecond would otherwise order them by
  // time, not digest, and the order below (which deliver follows) would be wrong now and then.
  const seenAt = firstSeen ?? Date.now();
  const spool = Spool.open(home.spoolFile, { now: () => seenAt });
  const digests = spool.putMany(bundles.map((bundle) => ({ bundle, direction: "inbound" as const, team: id }))).map((p) => p.digest);
  spool.close();
  // In the spool's order (first seen, then digest), as deliver and status list them.
  const order = digests.map((d, i) => [d, bundles[i]!] as const).sort(([a], [b]) => (a < b ? -1 : 1));
  return { home, digests: order.map(([d]) => d), bundles: order.map(([, b]) => b) };
}
function spoolRows(home: CourierHome): SpoolEntry[] {
  const spool = Spool.open(home.spoolFile);
  try {
    return spool.list();
  } finally {
    spool.close();
  }
}
const keyOf = (team: TestTeam): ReceiptKey => ReceiptKey.of(team.tk);
const pngOf = (path: string, receipt: Uint8Array): string => {
  writeFileSync(path, renderReceiptPng(receiptSymbol(receipt)));
  return path;
};
/** What `status --json` reports as awaiting a receipt (in-process: the CLI's status is checked once below). */
function awaiting(home: CourierHome): CourierStatus["teams"][number]["awaitingReceipt"] {
  const courier = Courier.open(home);
  try {
    return courierStatus(courier, Date.now()).teams[0]!.awaitingReceipt;
  } finally {
    courier.close();
  }
}

describe("receipts on the courier", () => {
  const team = makeTeam("Clinic");

  it("deliver --qr hands over what was never handed (--again repeats); status shows what waits and since when; a receipt marks exactly what it lists, once", () => {
    const { home, digests, bundles } = courierWith("qr", team, 3);
    const first = cli(home, ["deliver", "--qr", join(dir, "qr-out-1")]);
    expect(first.status).toBe(0);
    expect((first.out["delivered"] as { confirmed: boolean }[]).map((d) => d.confirmed)).toEqual([false, false, false]);
    expect(first.out["awaitingReceipt"]).toBe(3);
    // Not again by default: a vault that returns no receipts does not get the same bundles every time.
    expect(cli(home, ["deliver", "--qr", join(dir, "qr-out-2")]).out).toMatchObject({ delivered: [], awaitingReceipt: 3 });
    expect(human(home, ["deliver", "--qr", join(dir, "qr-out-2b")])).toMatch(/^nothing to deliver\n.*\n {2}handed over before and not handed again: 3 bundles \(--again/);
    const again = cli(home, ["deliver", "--qr", join(dir, "qr-out-3"), "--again"]);
    expect((again.out["delivered"] as { digest: string }[]).map((d) => d.digest)).toEqual(digests);
    const status = cli(home, ["status"]).out["status"] as CourierStatus;
    expect(status.teams[0]!.awaitingReceipt).toMatchObject({ bundles: 3, since: expect.any(String), oldest: digests.map((digest) => ({ digest, via: "qr", times: 2 })) });
    expect(status.teams[0]!.undelivered.bundles).toBe(0); // handed over: no longer against the fetch quota
    const text = human(home, ["status"]);
    expect(text).toMatch(/awaiting the vault's receipt since \d{4}-\d\d-\d\dT[^:]+:\d\d:\d\d\.\d+Z: 3 bundles/);
    expect(text).toMatch(/each dropped 30 days after it was last handed over/);

    // The vault got two of the three: a receipt PNG, scanned like any QR image.
    const png = pngOf(join(dir, "receipt.png"), keyOf(team).seal({ timeMs: Date.now(), ids: bundles.slice(0, 2).map(receiptIdOf) }));
    const scanned = cli(home, ["ingest", png]);
    expect(scanned.status, scanned.text).toBe(0);
    expect(scanned.out).toMatchObject({ spooled: 0, refused: [], receipts: [{ teamName: "Clinic", listed: 2, confirmed: digests.slice(0, 2).sort(), already: 0, unknown: 0, notHanded: 0 }] });
    expect(awaiting(home)).toMatchObject({ bundles: 1, oldest: [{ digest: digests[2] }] });
    expect(human(home, ["deliver", "--qr", join(dir, "qr-out-4"), "--again"])).toMatch(/^showed 1 bundle\n/);

    // Replayed: nothing changes.
    const before = spoolRows(home);
    const replay = cli(home, ["ingest", png]);
    expect(replay.status).toBe(0);
    expect(replay.out["receipts"]).toMatchObject([{ confirmed: [], already: 2 }]);
    expect(spoolRows(home)).toEqual(before);
  });

  it("a forged, foreign, altered, cut, oversized or garbage receipt is refused with its code, and the spool is unchanged", async () => {
    const { home, bundles } = courierWith("hostile", team, 2);
    expect(cli(home, ["deliver", "--qr", join(dir, "hostile-out")]).status).toBe(0);
    const before = spoolRows(home);
    const ids = bundles.map(receiptIdOf);
    const good = keyOf(team).seal({ timeMs: 1, ids });
    const altered = good.slice();
    altered[40]! ^= 1;
    const cases: [string, Uint8Array, string][] = [
      ["forged", new ReceiptKey(randomBytes(32)).seal({ timeMs: 1, ids }), "RECEIPT_UNKNOWN_TEAM"],
      ["foreign", keyOf(makeTeam("Other")).seal({ timeMs: 1, ids }), "RECEIPT_UNKNOWN_TEAM"],
      ["altered", altered, "RECEIPT_AUTH"],
    ];
    const scanned = cli(home, ["ingest", ...cases.map(([name, receipt]) => pngOf(join(dir, `${name}.png`), receipt))]);
    expect(scanned.status).toBe(3);
    expect(scanned.out["receipts"]).toEqual([]);
    const refused = scanned.out["refused"] as { from: string; code: string; reason: string }[];
    expect(refused.map((r) => r.code).sort()).toEqual(cases.map(([, , code]) => code).sort());
    // Not called a forgery outright: the likeliest cause is a vault that rotated before this courier adopted the key.
    expect(refused.find((r) => r.code === "RECEIPT_UNKNOWN_TEAM")!.reason).toMatch(
      /no transport key this courier holds \(Clinic generation 0\) made it: a vault of your team that holds a newer transport key generation than this courier \(ingest the enrollment on an admin vault's stick, then this receipt again\), a receipt of another team, or a forgery/,
    );
    expect(spoolRows(home)).toEqual(before);

    // On a stick: cut short, one byte too many, garbage after the magic, far too large.
    const stick = join(dir, "hostile-stick");
    mkdirSync(join(stick, "airlock"), { recursive: true });
    const folder = receiptsFolderOf(stick);
    mkdirSync(folder);
    const name = (c: string): string => join(folder, `${c.repeat(26)}.receipt`);
    writeFileSync(name("a"), good.subarray(0, 60));
    writeFileSync(name("b"), new Uint8Array([...good, 0]));
    writeFileSync(name("c"), new Uint8Array([0x41, 0x52, 0x43, 1, ...randomBytes(78)]));
    writeFileSync(name("d"), new Uint8Array(100_000));
    const r = cli(home, ["ingest", stick]);
    expect(r.status).toBe(3);
    expect((r.out["refused"] as { code: string }[]).map((x) => x.code).sort()).toEqual(["RECEIPT_MALFORMED", "RECEIPT_TRUNCATED", "USB_TOO_LARGE"]);
    // Opened under no key here: on a stick that is another team's courier's to read (or the vault's newer generation), not refused.
    expect(r.out["receiptsNotOurs"]).toEqual([{ from: name("c"), code: "RECEIPT_UNKNOWN_TEAM" }]);
    expect(human(home, ["ingest", stick])).toMatch(/refused .*aaaa\.receipt: RECEIPT_TRUNCATED: the receipt is 60 bytes/);
    expect(readdirSync(folder)).toHaveLength(4); // refused receipts stay where they were
    expect(spoolRows(home)).toEqual(before);

    // A stick holding only another team's receipt: left there, reported, and no exit 3 on this or any later ingest.
    const shared = join(dir, "shared-stick");
    mkdirSync(join(shared, "airlock"), { recursive: true });
    await writeReceiptFile(shared, keyOf(makeTeam("Other")).seal({ timeMs: 1, ids }));
    for (let i = 0; i < 2; i++) {
      const again = cli(home, ["ingest", shared]);
      expect(again.status).toBe(0);
      expect(again.out).toMatchObject({ refused: [], receipts: [], receiptsNotOurs: [{ code: "RECEIPT_UNKNOWN_TEAM" }] });
    }
    expect(human(home, ["ingest", shared])).toMatch(/1 receipt on the stick opened under no key of this courier, left there: another team's courier reads it, or a vault of your team holds a newer transport key generation/);
    expect(readdirSync(receiptsFolderOf(shared))).toHaveLength(1);
  });

  it("a lost receipt leaves the bundles deliverable: deliver --show --again plays them again (stdout is the JSON alone), --mark-delivered ends the wait", () => {
    const { home, digests } = courierWith("show", team, 2);
    for (const args of [[], ["--again"]]) {
      const r = cli(home, ["deliver", "--show", "--loops", "1", "--fps", "60", ...args]);
      expect(r.status).toBe(0);
      expect((r.out["delivered"] as { digest: string; to: string }[]).map((d) => [d.digest, d.to])).toEqual(digests.map((d) => [d, "terminal"]));
      expect(r.text).toContain("\u2580"); // the frames (half blocks) went to stderr
    }
    expect(cli(home, ["deliver", "--show", "--loops", "1", "--fps", "60"]).out).toMatchObject({ delivered: [], awaitingReceipt: 2 });
    expect(awaiting(home)).toMatchObject({ bundles: 2, oldest: [{ times: 2 }, { times: 2 }] });
    const mark = cli(home, ["deliver", "--mark-delivered"]);
    expect(mark.out).toMatchObject({ awaitingReceipt: 0, delivered: digests.map((digest) => ({ digest, confirmed: true })) });
    expect(spoolRows(home).map((e) => e.state)).toEqual(["delivered", "delivered"]);
    expect(human(home, ["deliver", "--show"])).toBe("nothing to deliver\n");
  });

  it("deliver --usb writes a bundle once (--again for a lost stick); the vault's receipt on the stick is read, applied and removed on ingest", async () => {
    const { home, bundles } = courierWith("usb", team, 2);
    const stick = join(dir, "usb-stick");
    mkdirSync(stick);
    expect((cli(home, ["deliver", "--usb", stick]).out["delivered"] as unknown[]).length).toBe(2);
    expect(cli(home, ["deliver", "--usb", stick]).out).toMatchObject({ delivered: [], awaitingReceipt: 2 });
    expect(readdirSync(join(stick, "airlock", "inbox"))).toHaveLength(2);
    const lost = join(dir, "usb-stick-2");
    mkdirSync(lost);
    expect((cli(home, ["deliver", "--usb", lost, "--again"]).out["delivered"] as unknown[]).length).toBe(2);
    expect(awaiting(home)).toMatchObject({ bundles: 2, oldest: [{ via: "usb", times: 2 }, { via: "usb", times: 2 }] });

    await writeReceiptFile(stick, keyOf(team).seal({ timeMs: Date.now(), ids: bundles.map(receiptIdOf) }));
    const r = cli(home, ["ingest", stick]);
    expect(r.status).toBe(0);
    expect(r.out["receipts"]).toMatchObject([{ listed: 2, already: 0 }]);
    expect((r.out["receipts"] as { confirmed: string[] }[])[0]!.confirmed).toHaveLength(2);
    expect(readdirSync(receiptsFolderOf(stick))).toEqual([]);
    expect(awaiting(home).bundles).toBe(0);
  });

  it("a courier serving two teams: deliver --team hands over one team's bundles, and a receipt marks only its own team's", () => {
    const other = makeTeam("Second");
    const home = setupCourierHome(join(dir, "two"), [team, other], "dir:/unused");
    const ids = Object.fromEntries(loadTeams(home).map((t) => [t.name, t.id]));
    const spool = Spool.open(home.spoolFile);
    const mine = teamBundle(team, team.tk.epochAt(Date.now()), randomBytes(100));
    const theirs = teamBundle(other, other.tk.epochAt(Date.now()), randomBytes(100));
    spool.putMany([
      { bundle: mine, direction: "inbound", team: ids["Clinic"]! },
      { bundle: theirs, direction: "inbound", team: ids["Second"]! },
    ]);
    spool.close();
    const usage = cli(home, ["deliver", "--qr", join(dir, "two-out-x"), "--team", "Nobody"]);
    expect(usage.status).toBe(2);
    const clinic = cli(home, ["deliver", "--qr", join(dir, "two-out-1"), "--team", "clinic"]);
    expect((clinic.out["delivered"] as { team: string }[]).map((d) => d.team)).toEqual([ids["Clinic"]]);
    expect(clinic.out["awaitingReceipt"]).toBe(1);
    // Team Clinic's receipt names both bundles: only its own is marked.
    const r = cli(home, ["ingest", pngOf(join(dir, "two.png"), keyOf(team).seal({ timeMs: 1, ids: [mine, theirs].map(receiptIdOf) }))]);
    expect(r.out["receipts"]).toMatchObject([{ teamName: "Clinic", confirmed: [expect.any(String)], unknown: 1 }]);
    expect(spoolRows(home).map((e) => [e.team === ids["Clinic"] ? "Clinic" : "Second", e.state, e.handedAt === undefined ? "never handed" : "handed"]).sort()).toEqual([
      ["Clinic", "delivered", "handed"],
      ["Second", "pending", "never handed"],
    ]);
    // Second's bundle was never handed over: its own delivery still has it.
    const second = cli(home, ["deliver", "--qr", join(dir, "two-out-2"), "--team", ids["Second"]!.slice(0, 8)]);
    expect((second.out["delivered"] as { team: string }[]).map((d) => d.team)).toEqual([ids["Second"]]);
  });

  it("a receipt marks only bundles this courier handed over; a stick's receipt file is removed only once all it names is delivered here", async () => {
    const { home, digests, bundles } = courierWith("handed", team, 3);
    const idsOf = (xs: readonly Uint8Array[]): string[] => xs.map(receiptIdOf);
    // Another vault sharing the stick (or another courier's delivery) made this: nothing was handed here.
    const stick = join(dir, "handed-stick");
    mkdirSync(join(stick, "airlock"), { recursive: true });
    await writeReceiptFile(stick, keyOf(team).seal({ timeMs: 1, ids: idsOf(bundles) }));
    const none = cli(home, ["ingest", stick]);
    expect(none.status).toBe(0);
    expect(none.out["receipts"]).toMatchObject([{ confirmed: [], notHanded: 3, file: "kept" }]);
    expect(spoolRows(home).map((e) => e.state)).toEqual(["pending", "pending", "pending"]);
    expect(readdirSync(receiptsFolderOf(stick))).toHaveLength(1); // left for the courier that handed them over
    expect(human(home, ["ingest", stick])).toMatch(/0 bundles now delivered, 3 not handed over by this courier, left as they were, left on the stick for another courier/);

    // Two handed over: those two are marked; the third (never handed) keeps the file on the stick.
    mkdirSync(join(dir, "handed-usb"));
    expect(cli(home, ["deliver", "--usb", join(dir, "handed-usb"), "--max-bytes", "1"]).status).toBe(0); // the first bundle only
    expect(cli(home, ["deliver", "--usb", join(dir, "handed-usb"), "--max-bytes", "1"]).status).toBe(0); // and the second
    const part = cli(home, ["ingest", stick]);
    expect(part.out["receipts"]).toMatchObject([{ confirmed: digests.slice(0, 2), notHanded: 1, file: "kept" }]);
    expect(readdirSync(receiptsFolderOf(stick))).toHaveLength(1);
    // The third handed over: now everything the file names is delivered here, and it goes.
    expect(cli(home, ["deliver", "--qr", join(dir, "handed-qr")]).status).toBe(0);
    const all = cli(home, ["ingest", stick]);
    expect(all.out["receipts"]).toMatchObject([{ confirmed: [digests[2]], already: 2, notHanded: 0, file: "removed" }]);
    expect(readdirSync(receiptsFolderOf(stick))).toEqual([]);
  });

  it("a receipt made with a draining earlier generation marks only what arrived before the rotation; once drained it is refused", () => {
    const rotatedAt = Date.now() - 3_600_000;
    const oldKey = makeTeam("Clinic");
    // Bundles spooled two hours before the courier adopted generation 1, and one after.
    const { home, digests: before, bundles: oldBundles } = courierWith("draining", oldKey, 2, rotatedAt - 7_200_000);
    const spool = Spool.open(home.spoolFile, { now: () => rotatedAt + 60_000 });
    const id = loadTeams(home)[0]!.id;
    const late = teamBundle(oldKey, oldKey.tk.epochAt(Date.now()), randomBytes(200));
    const lateDigest = spool.put(late, "inbound", { team: id }).digest;
    spool.close();
    const newKey = TransportKey.generate();
    const raw = { old: oldKey.tk.exportKey(), fresh: newKey.exportKey() };
    const adopt = (drainUntil: number): void => {
      const [config] = loadTeams(home);
      saveTeams(home, [{ ...config!, transportKey: toHex(raw.fresh), generation: 1, retired: [{ generation: 0, transportKey: toHex(raw.old), drainUntil, pruneUntil: drainUntil + 86_400_000 }] }]);
    };
    adopt(rotatedAt + TRANSPORT_GRACE_MS);
    expect(cli(home, ["deliver", "--qr", join(dir, "draining-out")]).out["awaitingReceipt"]).toBe(3);
    // Whoever still holds generation 0 (a removed member) names all three: only the two from before the rotation are marked.
    const stale = cli(home, ["ingest", pngOf(join(dir, "draining-0.png"), keyOf(oldKey).seal({ timeMs: 1, ids: [...oldBundles, late].map(receiptIdOf) }))]);
    expect(stale.status).toBe(0);
    expect(stale.out["receipts"]).toMatchObject([{ drainingGeneration: 0, confirmed: [...before].sort(), notHanded: 1 }]);
    expect(spoolRows(home).find((e) => e.digest === lateDigest)!.state).toBe("pending");
    // The current generation's receipt marks it.
    const current = new ReceiptKey(raw.fresh);
    const fresh = cli(home, ["ingest", pngOf(join(dir, "draining-1.png"), current.seal({ timeMs: 2, ids: [receiptIdOf(late)] }))]);
    expect(fresh.out["receipts"]).toMatchObject([{ confirmed: [lateDigest], notHanded: 0 }]);
    expect((fresh.out["receipts"] as Json[])[0]!["drainingGeneration"]).toBeUndefined();
    // Once the drain is over, generation 0's receipts are refused.
    adopt(Date.now() - 1000);
    const drained = cli(home, ["ingest", join(dir, "draining-0.png")]);
    expect(drained.status).toBe(3);
    expect(drained.out["refused"]).toMatchObject([{ code: "RECEIPT_UNKNOWN_TEAM" }]);
    current.wipe();
    raw.old.fill(0);
    raw.fresh.fill(0);
  });

  it("an id naming two spooled bundles (a shared 16-digit prefix) marks neither", () => {
    const { home } = courierWith("ambiguous", team, 0);
    const teamId = loadTeams(home)[0]!.id;
    const prefix = "0123456789abcdef";
    const db = openSqlite(home.spoolFile);
    const insert = db.prepare("INSERT INTO bundles (digest, direction, mailbox_tag, length, first_seen, bundle, team, handed_at, handed_via, handed_count) VALUES (?, 'inbound', ?, 1, 1, ?, ?, 1, 'qr', 1)");
    for (const tail of ["0".repeat(48), "f".repeat(48)]) insert.run(prefix + tail, "0".repeat(32), Buffer.from([1]), teamId);
    db.close();
    const r = cli(home, ["ingest", pngOf(join(dir, "ambiguous.png"), keyOf(team).seal({ timeMs: 1, ids: [prefix] }))]);
    expect(r.status).toBe(0);
    expect(r.out["receipts"]).toMatchObject([{ confirmed: [], ambiguous: 1 }]);
    expect(spoolRows(home).map((e) => e.state)).toEqual(["pending", "pending"]);
  });

  it("one bad receipt on a stick, or one ambiguous id in a receipt, is refused alone: the rest is applied", async () => {
    const { home, digests, bundles } = courierWith("one-bad", team, 2);
    expect(cli(home, ["deliver", "--qr", join(dir, "one-bad-out")]).status).toBe(0);
    const teamId = loadTeams(home)[0]!.id;
    const prefix = "fedcba9876543210";
    const db = openSqlite(home.spoolFile);
    const insert = db.prepare("INSERT INTO bundles (digest, direction, mailbox_tag, length, first_seen, bundle, team, handed_at, handed_via, handed_count) VALUES (?, 'inbound', ?, 1, 1, ?, ?, 1, 'qr', 1)");
    for (const tail of ["0".repeat(48), "f".repeat(48)]) insert.run(prefix + tail, "0".repeat(32), Buffer.from([1]), teamId);
    db.close();
    const stick = join(dir, "one-bad-stick");
    mkdirSync(join(stick, "airlock"), { recursive: true });
    const mixed = await writeReceiptFile(stick, keyOf(team).seal({ timeMs: 1, ids: [receiptIdOf(bundles[0]!), prefix] }));
    const clean = await writeReceiptFile(stick, keyOf(team).seal({ timeMs: 1, ids: [receiptIdOf(bundles[1]!)] }));
    const garbage = join(receiptsFolderOf(stick), `${"a".repeat(26)}.receipt`);
    writeFileSync(garbage, new Uint8Array([0x41, 0x52, 0x43, 1, ...randomBytes(77)]));
    const r = cli(home, ["ingest", stick]);
    expect(r.status).toBe(3);
    expect(r.out["refused"]).toMatchObject([{ from: garbage, code: "RECEIPT_TRUNCATED" }]);
    const byFile = Object.fromEntries((r.out["receipts"] as (Json & { from: string })[]).map((o) => [o.from, o]));
    expect(byFile[mixed]).toMatchObject({ confirmed: [digests[0]], ambiguous: 1, file: "kept" });
    expect(byFile[clean]).toMatchObject({ confirmed: [digests[1]], ambiguous: 0, file: "removed" });
    expect(readdirSync(receiptsFolderOf(stick)).sort()).toEqual([garbage, mixed].map((f) => f.slice(receiptsFolderOf(stick).length + 1)).sort());
    const states = Object.fromEntries(spoolRows(home).map((e) => [e.digest, e.state]));
    expect([digests[0]!, digests[1]!].map((d) => states[d])).toEqual(["delivered", "delivered"]);
    expect(Object.entries(states).filter(([d]) => d.startsWith(prefix)).map(([, s]) => s)).toEqual(["pending", "pending"]);
  });

  it("a stick whose receipts folder cannot be read: its bundles are still taken and reported, exit 3 (refused input), not 1", async () => {
    const { home } = courierWith("bad-folder", team, 0);
    const stick = join(dir, "bad-folder-stick");
    mkdirSync(join(stick, "airlock", "outbox"), { recursive: true });
    await writeBundle(join(stick, "airlock", "outbox"), teamBundle(team, team.tk.epochAt(Date.now()), randomBytes(100)));
    writeFileSync(join(stick, "airlock", "receipts"), "a file where the folder should be");
    const r = cli(home, ["ingest", stick]);
    expect(r.status).toBe(3);
    expect(r.out).toMatchObject({ spooled: 1, refused: [{ from: stick, code: "USB_NOT_A_DIRECTORY" }] });
    expect(readdirSync(join(stick, "airlock", "outbox"))).toEqual([]);
  });
});
