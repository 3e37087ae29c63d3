/**
 * What a hostile mailbox, or a holder of the team's transport key, can make a courier remember
 * (docs/threat-model.md §3, §4): nothing that suppresses a bundle on another, honest mailbox, and
 * nothing that changes the shapes of the team's cover. Real couriers and spools, real dir: mailboxes.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes } from "@airlock/bundle-format";
import { makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { resolveHome } from "../home/paths.js";
import { loadTeams, saveTeams } from "../home/teams.js";
import { mailboxNameFor } from "../mailbox/backend.js";
import { httpMailboxCredentials } from "../mailbox/http.js";
import { openMailbox } from "../mailbox/open.js";
import { Courier } from "./courier.js";

const EPOCH_MS = 86_400_000;
const BUCKET = 4096;

const dirs: string[] = [];
const open: Courier[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Puts bundles straight into a dir: mailbox's namespace of `team`, as the store (or a key holder) can. */
async function plant(url: string, team: TestTeam, epoch: number, bundles: readonly Uint8Array[]): Promise<void> {
  const store = openMailbox(url, httpMailboxCredentials(team.tk, epoch));
  for (const b of bundles) await store.put(mailboxNameFor(b), b);
}

function newStore(dir: string, name: string): string {
  mkdirSync(join(dir, name));
  return `dir:${join(dir, name)}`;
}

describe("a hostile mailbox", () => {
  it("cannot suppress a team's bundle on its honest mailbox by listing it in another served team's namespace", async () => {
    const dir = tempDir("hostile-seen");
    dirs.push(dir);
    const a = makeTeam("A");
    const b = makeTeam("B");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const honest = newStore(dir, "m1");
    const hostile = newStore(dir, "m2");
    const home = setupCourierHome(join(dir, "c"), [a, b], hostile, { sendPerRound: 2, bucketSizes: [BUCKET] });
    // A uses both mailboxes (redundancy against a withholding one); B only the hostile one.
    saveTeams(home, loadTeams(home).map((t) => (t.name === "A" ? { ...t, mailboxes: [honest, hostile] } : t)));

    const x = teamBundle(a, a.tk.epochAt(clock.now), randomBytes(100));
    await plant(honest, a, a.tk.epochAt(clock.now), [x]);
    await plant(hostile, b, b.tk.epochAt(clock.now), [x]);

    const c = Courier.open(resolveHome(join(dir, "c")), { now: () => clock.now });
    open.push(c);
    const teamA = c.teams.find((t) => t.config.name === "A")!;
    const teamB = c.teams.find((t) => t.config.name === "B")!;
    // The hostile mailbox answers B's listing first: X is A's real bundle, refused there.
    const pulledB = await c.pull(teamB, hostile, [b.tk.epochAt(clock.now)]);
    expect(pulledB).toMatchObject({ listed: 1, refused: 1, spooled: 0 });
    expect(c.spool.ledger.counters().find((n) => n.reason === "COURIER_OTHER_TEAM")?.n).toBe(1);
    // A's pull from the honest mailbox still fetches and spools it.
    const pulledA = await c.pull(teamA, honest, [a.tk.epochAt(clock.now)]);
    expect(pulledA).toMatchObject({ listed: 1, spooled: 1, known: 0 });
    expect(c.spool.entry(mailboxNameFor(x).slice(0, 64))).toMatchObject({ direction: "inbound", team: teamA.id });
  });

  it("cannot make the team's cover large by putting forged large real-tag bundles where couriers pull them", async () => {
    const dir = tempDir("hostile-shapes");
    dirs.push(dir);
    const team = makeTeam("Shapes");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const epoch = team.tk.epochAt(clock.now);
    const store = join(dir, "m");
    mkdirSync(store);
    const url = `dir:${store}`;
    setupCourierHome(join(dir, "c"), [team], url, { sendPerRound: 4, bucketSizes: [BUCKET] });
    const c = Courier.open(resolveHome(join(dir, "c")), { now: () => clock.now });
    open.push(c);
    const ns = join(store, team.tk.mailboxId(epoch));
    const sizes = (names: readonly string[]): number[] => names.map((n) => statSync(join(ns, n)).size);

    for (const r of await c.round()) expect(r.error).toBeUndefined();
    const first = readdirSync(ns);
    expect(sizes(first)).toEqual([BUCKET, BUCKET, BUCKET, BUCKET]);

    // A holder of the transport key puts real-tag bundles, sealed to nobody the vault knows, 64x the bucket.
    const LARGE = 64 * BUCKET;
    const forged = Array.from({ length: 3 }, () => teamBundle(team, epoch, randomBytes(10), LARGE));
    await plant(url, team, epoch, forged);
    const planted = new Set([...first, ...forged.map(mailboxNameFor)]);

    const [report] = await c.round();
    expect(report!.error).toBeUndefined();
    expect(report!.pull).toMatchObject({ spooled: 3 });
    const next = readdirSync(ns).filter((n) => !planted.has(n));
    expect(next).toHaveLength(4);
    expect(sizes(next)).toEqual([BUCKET, BUCKET, BUCKET, BUCKET]);
    expect(c.spool.ledger.shapes(c.teams[0]!.id)).toEqual([]);
  });
});
