/**
 * Receipts on the courier, through the real CLI as a child process and a real spool: handing a
 * bundle over leaves it deliverable until a receipt names it; a forged, foreign, altered, cut,
 * oversized or garbage receipt is refused with its code and changes nothing; a replayed one
 * changes nothing; a lost one leaves the bundles deliverable; a stick's receipt is read on ingest.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { randomBytes } from "@airlock/bundle-format";
import { ReceiptKey, receiptIdOf, receiptSymbol, receiptsFolderOf, renderReceiptPng, writeReceiptFile } from "@airlock/shared";
import { makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { Spool, type SpoolEntry } from "../spool/index.js";
import { loadTeams } from "../home/teams.js";
import type { CourierHome } from "../home/paths.js";
import { Courier } from "./courier.js";
import { courierStatus, type CourierStatus } from "./status.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "airlock-courier.js");
const dir = tempDir("courier-receipts");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;
function cli(home: CourierHome, args: string[]): { status: number | null; out: Json; text: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, "--home", home.root, "--json"], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
  // deliver --show draws its frames on stdout too: the JSON is the last line.
  return { status: r.status, out: JSON.parse(r.stdout.slice(r.stdout.lastIndexOf("\n{") + 1)) as Json, text: r.stderr };
}
function human(home: CourierHome, args: string[]): string {
  return spawnSync(process.execPath, [BIN, ...args, "--home", home.root], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] }).stdout;
}

/** A courier home holding `n` inbound bundles of `team` (as a sync pulls them), and their digests. */
function courierWith(name: string, team: TestTeam, n: number): { home: CourierHome; digests: string[]; bundles: Uint8Array[] } {
  const home = setupCourierHome(join(dir, name), [team], "dir:/unused");
  const id = loadTeams(home)[0]!.id;
  const bundles = Array.from({ length: n }, () => teamBundle(team, team.tk.epochAt(Date.now()), randomBytes(200)));
  const spool = Spool.open(home.spoolFile);
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

  it("deliver --qr can be repeated; status shows what waits; a receipt marks exactly what it lists, once", () => {
    const { home, digests, bundles } = courierWith("qr", team, 3);
    for (const round of [1, 2]) {
      const r = cli(home, ["deliver", "--qr", join(dir, `qr-out-${round}`)]);
      expect(r.status).toBe(0);
      expect((r.out["delivered"] as { confirmed: boolean }[]).map((d) => d.confirmed)).toEqual([false, false, false]);
      expect(r.out["awaitingReceipt"]).toBe(3);
    }
    const status = cli(home, ["status"]).out["status"] as CourierStatus;
    expect(status.teams[0]!.awaitingReceipt).toMatchObject({ bundles: 3, oldest: digests.map((digest) => ({ digest, via: "qr", times: 2 })) });
    expect(human(home, ["status"])).toMatch(/shown or written for the vault, no receipt yet: 3 bundles/);

    // The vault got two of the three: a receipt PNG, scanned like any QR image.
    const png = pngOf(join(dir, "receipt.png"), keyOf(team).seal({ timeMs: Date.now(), ids: bundles.slice(0, 2).map(receiptIdOf) }));
    const first = cli(home, ["ingest", png]);
    expect(first.status, first.text).toBe(0);
    expect(first.out).toMatchObject({ spooled: 0, refused: [], receipts: [{ teamName: "Clinic", listed: 2, confirmed: digests.slice(0, 2).sort(), already: 0, unknown: 0 }] });
    expect(awaiting(home)).toMatchObject({ bundles: 1, oldest: [{ digest: digests[2] }] });
    expect(human(home, ["deliver", "--qr", join(dir, "qr-out-3")])).toMatch(/^showed 1 bundle\n/);

    // Replayed: nothing changes.
    const before = spoolRows(home);
    const replay = cli(home, ["ingest", png]);
    expect(replay.status).toBe(0);
    expect(replay.out["receipts"]).toMatchObject([{ confirmed: [], already: 2 }]);
    expect(spoolRows(home)).toEqual(before);
  });

  it("a forged, foreign, altered, cut, oversized or garbage receipt is refused with its code, and the spool is unchanged", () => {
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
    expect(refused.find((r) => r.code === "RECEIPT_UNKNOWN_TEAM")!.reason).toMatch(/made with the key of no team this courier serves \(another team's receipt, or a forgery\)/);
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
    expect((r.out["refused"] as { code: string }[]).map((x) => x.code)).toEqual(["RECEIPT_TRUNCATED", "RECEIPT_MALFORMED", "RECEIPT_UNKNOWN_TEAM", "USB_TOO_LARGE"]);
    expect(human(home, ["ingest", stick])).toMatch(/refused .*aaaa\.receipt: RECEIPT_TRUNCATED: the receipt is 60 bytes/);
    expect(readdirSync(folder)).toHaveLength(4); // refused receipts stay where they were
    expect(spoolRows(home)).toEqual(before);
  });

  it("a lost receipt leaves the bundles deliverable: deliver --show plays them again, --mark-delivered ends the wait", () => {
    const { home, digests } = courierWith("show", team, 2);
    for (let i = 0; i < 2; i++) {
      const r = cli(home, ["deliver", "--show", "--loops", "1", "--fps", "60"]);
      expect(r.status).toBe(0);
      expect((r.out["delivered"] as { digest: string; to: string }[]).map((d) => [d.digest, d.to])).toEqual(digests.map((d) => [d, "terminal"]));
    }
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

  it("a courier serving two teams marks only the bundles of the team whose key made the receipt", () => {
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
    // Team Clinic's receipt names both bundles: only its own is marked.
    const r = cli(home, ["ingest", pngOf(join(dir, "two.png"), keyOf(team).seal({ timeMs: 1, ids: [mine, theirs].map(receiptIdOf) }))]);
    expect(r.out["receipts"]).toMatchObject([{ teamName: "Clinic", confirmed: [expect.any(String)], unknown: 1 }]);
    expect(spoolRows(home).map((e) => [e.team === ids["Clinic"] ? "Clinic" : "Second", e.state]).sort()).toEqual([
      ["Clinic", "delivered"],
      ["Second", "pending"],
    ]);
  });
});
