/**
 * What a seized courier's disk holds: the home 0700, the spool and its -wal and -shm 0600 (also
 * when an older courier left them readable), secure_delete on, and after an expiry neither the
 * expired bundle's bytes nor its digest anywhere in the spool's files.
 */
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes } from "@airlock/bundle-format";
import { makeTeam, teamBundle } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { Courier } from "../courier/courier.js";
import { mailboxNameFor } from "../mailbox/backend.js";
import { Spool } from "./spool.js";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const modeOf = (path: string): number => statSync(path).mode & 0o777;
const spoolFiles = (spool: string): string[] => [spool, `${spool}-wal`, `${spool}-shm`];

/** Whether `needle` occurs in any of `files` that exist. */
function onDisk(files: readonly string[], needle: Uint8Array): boolean {
  return files.some((f) => existsSync(f) && readFileSync(f).indexOf(needle) !== -1);
}

describe("the courier's files at rest", () => {
  it("tightens a pre-existing home with loose modes: home 0700, spool, -wal, -shm, key and teams 0600", () => {
    const dir = tempDir("at-rest-modes");
    dirs.push(dir);
    const team = makeTeam("seized");
    const home = setupCourierHome(join(dir, "home"), [team], "dir:/nowhere");
    // What an older courier (or a restore under umask 022) left behind.
    Spool.open(home.spoolFile).close();
    writeFileSync(`${home.spoolFile}-wal`, "");
    writeFileSync(`${home.spoolFile}-shm`, "");
    for (const f of [...spoolFiles(home.spoolFile), home.teamsFile, home.keyFile]) chmodSync(f, 0o644);
    chmodSync(home.root, 0o755);

    const courier = Courier.open(home, { now: () => 20_000 * 86_400_000 });
    try {
      expect(courier.ingest(teamBundle(team, team.tk.epochAt(20_000 * 86_400_000), randomBytes(100))).outcome).toBe("spooled");
      expect(modeOf(home.root)).toBe(0o700);
      for (const f of [...spoolFiles(home.spoolFile), home.teamsFile, home.keyFile]) expect([f, modeOf(f)]).toEqual([f, 0o600]);
      expect(courier.spool.pragmas()).toEqual({ journalMode: "wal", secureDelete: true });
    } finally {
      courier.close();
    }
  });

  it("creates a new spool 0600 (with its -wal and -shm), whatever the umask", () => {
    const dir = tempDir("at-rest-new");
    dirs.push(dir);
    const path = join(dir, "spool.sqlite");
    const old = process.umask(0o000);
    let spool: Spool;
    try {
      spool = Spool.open(path);
    } finally {
      process.umask(old);
    }
    try {
      for (const f of spoolFiles(path)) expect([f, modeOf(f)]).toEqual([f, 0o600]);
    } finally {
      spool.close();
    }
  });

  it("after expiry, neither the expired bundle's bytes nor its digest are left in the spool's files, and the WAL is empty", () => {
    const dir = tempDir("at-rest-expiry");
    dirs.push(dir);
    const path = join(dir, "spool.sqlite");
    const clock = { now: 1_000_000 };
    const spool = Spool.open(path, { now: () => clock.now });
    try {
      const team = makeTeam("expiring");
      const gone = teamBundle(team, 0, randomBytes(20_000));
      const kept = teamBundle(team, 0, randomBytes(20_000));
      const { digest } = spool.put(gone, "outbound");
      spool.markDelivered(digest);
      clock.now += 10_000;
      spool.put(kept, "outbound");
      // A window deep in the ciphertext (random bytes), and the digest as stored (hex text).
      const goneBytes = gone.subarray(10_000, 10_064);
      const goneDigest = new TextEncoder().encode(mailboxNameFor(gone).slice(0, 64));
      const files = spoolFiles(path);
      expect(onDisk(files, goneBytes)).toBe(true); // the search finds what is there
      expect(onDisk(files, goneDigest)).toBe(true);

      expect(spool.expire({ olderThanMs: 5_000, states: ["delivered"] })).toBe(1);
      expect(statSync(`${path}-wal`).size).toBe(0);
      expect(onDisk(files, goneBytes)).toBe(false);
      expect(onDisk(files, goneDigest)).toBe(false);
      // The bundle that did not expire is intact.
      expect(onDisk(files, kept.subarray(10_000, 10_064))).toBe(true);
      expect(spool.get(mailboxNameFor(kept).slice(0, 64))).toEqual(kept);
    } finally {
      spool.close();
    }
  });
});
