/**
 * What a mailbox (its operator, or anyone who can list it) sees of a team's traffic must not
 * separate real bundles from cover: the adversary's tests from the review of issue 10. Real
 * `dir:` folders, real couriers and spools; the test alone holds the transport key to sort
 * what it lists into real and cover, then compares what the two look like.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { inspectBundle, randomBytes, sealBundle, x25519KeyPair } from "@airlock/bundle-format";
import { makeTeam, type TestTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { resolveHome } from "../home/paths.js";
import { loadTeams, saveTeams } from "../home/teams.js";
import { Courier } from "./courier.js";

const EPOCH_MS = 86_400_000;
/** Cover before any real traffic would use this size; no real bundle here has it. */
const CONFIGURED = 65_536;
const SETTINGS = { sendPerRound: 4, bucketSizes: [CONFIGURED] };

let dirs: string[] = [];
let open: Courier[] = [];
afterEach(() => {
  for (const c of open) c.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  open = [];
  dirs = [];
});

function courier(root: string, team: TestTeam, urls: string[], clock: { now: number }): Courier {
  let home = resolveHome(root);
  if (!existsSync(root)) {
    home = setupCourierHome(root, [team], urls[0]!, SETTINGS);
    // More mailboxes sit beside the first, as `init` with another --mailbox puts them.
    saveTeams(home, loadTeams(home).map((t) => ({ ...t, mailboxes: urls })));
  }
  const c = Courier.open(home, { now: () => clock.now });
  open.push(c);
  return c;
}

/** A real bundle for the team with `recipients` devices in all (so 2^tier slots) and a body of `bodyBytes`. */
function real(team: TestTeam, epoch: number, bodyBytes: number, recipients: number): Uint8Array {
  const others = [...Array(recipients - 1).keys()].map(() => x25519KeyPair().publicKey);
  return sealBundle(randomBytes(bodyBytes), {
    recipients: [team.device.encryption.publicKey, ...others],
    sender: team.device.signing,
    mailboxTag: team.tk.tag("real", epoch),
  });
}

interface Listed {
  readonly kind: "real" | "cover";
  readonly shape: string;
  readonly ephemeral: string;
}

/** Every bundle in the folder, sorted into real and cover with the team's key (which the mailbox does not have). */
function listMailbox(store: string, team: TestTeam, epoch: number): Listed[] {
  const out: Listed[] = [];
  for (const namespace of readdirSync(store)) {
    for (const name of readdirSync(join(store, namespace)).filter((n) => n.endsWith(".airlock"))) {
      const header = inspectBundle(new Uint8Array(readFileSync(join(store, namespace, name))));
      const kind = team.tk.classify(header.mailboxTag, epoch)?.kind;
      if (kind === undefined) throw new Error(`${name} is not the team's`);
      out.push({ kind, shape: `${header.length}/${header.slotCount}`, ephemeral: Buffer.from(header.ephemeralPublicKey).toString("hex") });
    }
  }
  return out;
}

const shapesOf = (listed: readonly Listed[], kind: "real" | "cover"): Set<string> => new Set(listed.filter((l) => l.kind === kind).map((l) => l.shape));

describe("cover traffic as a mailbox sees it", () => {
  it("after rounds of mixed real traffic, cover has exactly the sizes and slot counts real bundles had, also from couriers that never ingested any", async () => {
    const dir = tempDir("cover-shapes");
    dirs.push(dir);
    const store = join(dir, "store");
    mkdirSync(store);
    const team = makeTeam("Shapes");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const epoch = team.tk.epochAt(clock.now);
    const url = `dir:${store}`;
    let a = courier(join(dir, "a"), team, [url], clock);
    const b = courier(join(dir, "b"), team, [url], clock);
    // Three sizes and two slot tiers of real traffic, arriving in different rounds.
    const reals = [real(team, epoch, 3_000, 1), real(team, epoch, 12_000, 5), real(team, epoch, 25_000, 1), real(team, epoch, 3_000, 1)];
    const arrivals: Record<number, Uint8Array[]> = { 0: [reals[0]!, reals[1]!], 2: [reals[2]!], 5: [reals[3]!] };
    for (let round = 0; round < 12; round++) {
      for (const bundle of arrivals[round] ?? []) expect(a.ingest(bundle).outcome).toBe("spooled");
      if (round === 6) {
        // What cover copies survives a restart: a courier with nothing pending still sends plausible traffic.
        a.close();
        open = open.filter((c) => c !== a);
        a = courier(join(dir, "a"), team, [url], clock);
      }
      for (const c of [a, b]) for (const r of await c.round()) expect(r.error).toBeUndefined();
      clock.now += 15 * 60_000;
    }
    const listed = listMailbox(store, team, epoch);
    expect(listed.filter((l) => l.kind === "real")).toHaveLength(reals.length);
    expect(listed).toHaveLength(2 * 12 * SETTINGS.sendPerRound);
    const realShapes = shapesOf(listed, "real");
    const coverShapes = shapesOf(listed, "cover");
    expect(realShapes.size).toBe(3);
    // No shape is used only by cover or only by real; in particular the configured 64 KiB never appears.
    expect([...coverShapes].sort()).toEqual([...realShapes].sort());
    expect(listed.some((l) => l.shape.startsWith(`${CONFIGURED}/`))).toBe(false);
    // Every cover bundle carries its own ephemeral key, as every sealed bundle does.
    expect(new Set(listed.map((l) => l.ephemeral)).size).toBe(listed.length);
    expect(listed.some((l) => /^0+$/.test(l.ephemeral))).toBe(false);
  });

  it("every mailbox of a team gets the same bundles in a round, so comparing mailboxes does not single out the real ones", async () => {
    const dir = tempDir("cover-two-mailboxes");
    dirs.push(dir);
    const stores = [join(dir, "store-1"), join(dir, "store-2")];
    for (const s of stores) mkdirSync(s);
    const team = makeTeam("Two mailboxes");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const epoch = team.tk.epochAt(clock.now);
    const a = courier(join(dir, "a"), team, stores.map((s) => `dir:${s}`), clock);
    expect(a.teams[0]!.config.mailboxes).toHaveLength(2);
    a.ingest(real(team, epoch, 6_000, 1));
    for (let round = 0; round < 2; round++) for (const r of await a.round()) expect(r.error).toBeUndefined();
    const names = stores.map((s) => readdirSync(join(s, team.tk.mailboxId(epoch))).filter((n) => n.endsWith(".airlock")).sort());
    expect(names[0]).toHaveLength(2 * SETTINGS.sendPerRound);
    expect(names[1]).toEqual(names[0]);
  });

  it("before it has seen any real bundle of the team, a courier's cover takes the configured sizes", async () => {
    const dir = tempDir("cover-cold");
    dirs.push(dir);
    const store = join(dir, "store");
    mkdirSync(store);
    const team = makeTeam("Cold");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const a = courier(join(dir, "a"), team, [`dir:${store}`], clock);
    await a.round();
    const listed = listMailbox(store, team, team.tk.epochAt(clock.now));
    expect(listed.map((l) => l.kind)).toEqual(["cover", "cover", "cover", "cover"]);
    expect(shapesOf(listed, "cover")).toEqual(new Set([`${CONFIGURED}/4`]));
  });
});
