/**
 * What the soak kills its commands on, prepared once with the real CLIs (the changesets through
 * the vault library, as import-crash.test.ts writes them: thousands of CLI runs would take
 * minutes) and copied before every kill:
 *
 *   team/            the e2e story's four vaults (test/e2e/support/team.ts); alice's two laptops
 *                    and bob each then write `changesets / 3` changesets of 3 ops to `notes`
 *   import/stick     a USB stick with one sync bundle from each of those three writers
 *   import/vault     vera's vault before any of them: `airlock import import/stick`
 *   export/vault     alice's vault with her new changesets, which nobody acknowledged yet:
 *                    `airlock export --usb STICK` (vera's vault checks what it wrote)
 *   sync/            a courier home with real bundles waiting to go out (the import stick and a
 *                    few of vera's small bundles) and a `dir:` mailbox into which a second
 *                    courier already pushed other real bundles and cover: `airlock-courier sync`
 *
 * The courier's teams.json names its mailbox by absolute path, so the sync fixture is built
 * where its runs happen (work/sync) and restored to that same place before each kill.
 */
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { passphraseBytes } from "../../offline-signer/src/store/index.js";
import { Vault } from "../../offline-signer/src/vault/vault.js";
import { airlock, courier, PASSPHRASE } from "../e2e/support/cli.js";
import { buildTeam } from "../e2e/support/team.js";

export interface FixtureOptions {
  /** Changesets vera's import applies, split over three writers (a multiple of 3). */
  readonly changesets: number;
  /** Small bundles of vera's: waiting in the courier's spool, and already in the mailbox. */
  readonly smallOut: number;
  readonly smallIn: number;
}

export const DEFAULT_FIXTURE: FixtureOptions = { changesets: 3000, smallOut: 8, smallIn: 24 };

export interface Fixtures {
  readonly root: string;
  readonly options: FixtureOptions;
  /** Changesets per bundle on the import stick (one bundle per writer). */
  readonly importBundles: readonly number[];
  readonly importStick: string;
  readonly importVault: string;
  readonly exportVault: string;
  /** The prepared sync folder, and where its runs happen (the path its config names). */
  readonly syncFixture: string;
  readonly syncWork: string;
  /** Real bundles the courier holds to send, and that the mailbox holds for it. */
  readonly outbound: number;
  readonly inbound: number;
  readonly prepareMs: number;
}

export const WRITERS = ["a", "a2", "b"] as const;
/** Ops in every changeset the fixture writes (title, body, one comment). */
export const OPS_PER_CHANGESET = 3;

/** Replaces `to` with a copy of `from` (vaults and spools are folders of files). */
export function restore(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}

async function writeChangesets(home: string, writer: string, count: number): Promise<void> {
  const vault = await Vault.open(home, passphraseBytes(PASSPHRASE), { kdf: "test-insecure" });
  try {
    for (let i = 0; i < count; i++) {
      // 97 records: many changesets touch the same record, so the merge has real work to do.
      const record = `${writer}-${i % 97}`;
      vault.write("notes", [
        { kind: "set", record, field: "title", value: `title ${writer} ${i}` },
        { kind: "set", record, field: "body", value: `body ${i} `.repeat(20) },
        { kind: "append", record, field: "comments", value: `comment ${writer} ${i}` },
      ]);
    }
  } finally {
    vault.close();
  }
}

function exported(home: string, stick: string): number[] {
  const out = airlock(home, ["export", "--usb", stick])["bundles"] as { changesets: number }[];
  return out.map((b) => b.changesets);
}

export async function prepareFixtures(root: string, options: FixtureOptions = DEFAULT_FIXTURE): Promise<Fixtures> {
  if (options.changesets % WRITERS.length !== 0) throw new RangeError(`changesets must be a multiple of ${WRITERS.length}`);
  const started = performance.now();
  const at = (...p: string[]): string => join(root, ...p);
  mkdirSync(at("import"), { recursive: true });
  mkdirSync(at("export"), { recursive: true });
  const team = buildTeam(at("team"));
  // Vera's vault as it is before anyone writes: the import target and the export's checker.
  cpSync(team.home("v"), at("import", "vault"), { recursive: true });

  for (const w of WRITERS) await writeChangesets(team.home(w), w, options.changesets / WRITERS.length);
  const importStick = at("import", "stick");
  mkdirSync(importStick);
  const importBundles = WRITERS.flatMap((w) => exported(team.home(w), importStick));
  cpSync(team.home("a"), at("export", "vault"), { recursive: true });

  // Vera's small bundles: she has nothing new, so each export is one bundle of acks, sealed
  // afresh (new bytes, new digest) every time.
  const smallOut = at("small-out");
  const smallIn = at("small-in");
  mkdirSync(smallOut);
  mkdirSync(smallIn);
  for (let i = 0; i < options.smallOut; i++) exported(team.home("v"), smallOut);
  for (let i = 0; i < options.smallIn; i++) exported(team.home("v"), smallIn);

  const syncWork = at("work", "sync");
  const mailbox = join(syncWork, "mailbox");
  mkdirSync(mailbox, { recursive: true });
  const outbound = importBundles.length + options.smallOut;
  const enrol = (name: string, home: string, sendPerRound: number): void => {
    courier(home, ["keygen", "--out", at(`${name}.pub`)]);
    airlock(team.home("a"), ["courier-enroll", "--courier-key", at(`${name}.pub`), "--out", at(`${name}.enrollment`)]);
    courier(home, ["init", at(`${name}.enrollment`), "--mailbox", `dir:${mailbox}`, "--send-per-round", String(sendPerRound)]);
  };
  // The other courier fills the mailbox: every small bundle plus cover, in one round.
  const other = at("courier-other");
  enrol("courier-other", other, options.smallIn + 8);
  courier(other, ["ingest", smallIn, "--keep"]);
  courier(other, ["sync"]);
  // Ours: one round pushes every real bundle it holds (and a little cover), so one run converges.
  const ours = join(syncWork, "courier");
  enrol("courier", ours, outbound + 4);
  courier(ours, ["ingest", importStick, smallOut, "--keep"]);
  const syncFixture = at("sync");
  cpSync(syncWork, syncFixture, { recursive: true });

  const box = join(importStick, "airlock", "outbox");
  if (readdirSync(box).length !== importBundles.length) throw new Error(`the import stick holds ${readdirSync(box).length} files, expected ${importBundles.length}`);
  return {
    root,
    options,
    importBundles,
    importStick,
    importVault: at("import", "vault"),
    exportVault: at("export", "vault"),
    syncFixture,
    syncWork,
    outbound,
    inbound: options.smallIn,
    prepareMs: performance.now() - started,
  };
}
