import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { blob, runMailboxAcceptanceTests } from "./acceptance.js";
import { mailboxNameFor } from "./backend.js";
import { DirMailbox, dirMailboxFromUrl, TEMP_PREFIX } from "./dir.js";
import { codeOf } from "../../test-support/errors.js";

const MAX = 64 * 1024;

runMailboxAcceptanceTests("dir", async () => {
  const dir = await mkdtemp(join(tmpdir(), "airlock-dir-mailbox-"));
  return { backend: new DirMailbox(dir, { maxBundleBytes: MAX }), teardown: () => rm(dir, { recursive: true, force: true }) };
});

describe("dir mailbox: a hostile, Syncthing-shared folder", () => {
  let dir: string;
  let mailbox: DirMailbox;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "airlock-dir-mailbox-"));
    mailbox = new DirMailbox(dir, { maxBundleBytes: MAX });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("leaves only the final file behind after a put", async () => {
    const b = blob();
    await mailbox.put(b.name, b.bytes);
    expect(await readdir(dir)).toEqual([b.name]);
  });

  it("ignores temp files, Syncthing files, folders, links and FIFOs", async () => {
    const real = blob();
    await mailbox.put(real.name, real.bytes);
    const [linked, folder, fifo, temp] = [blob(), blob(), blob(), blob()];
    await writeFile(join(dir, `${TEMP_PREFIX}abc.tmp`), temp.bytes);
    await writeFile(join(dir, `.syncthing.${temp.name}.tmp`), temp.bytes);
    await writeFile(join(dir, `${temp.name.replace(".airlock", "")}.sync-conflict-20260101-000000-ABCDEFG.airlock`), temp.bytes);
    await writeFile(join(dir, "outside"), linked.bytes);
    await symlink(join(dir, "outside"), join(dir, linked.name));
    await mkdir(join(dir, folder.name));
    execFileSync("mkfifo", [join(dir, fifo.name)]);
    expect((await mailbox.list()).names).toEqual([real.name]);
    expect(await codeOf(mailbox.get(linked.name))).toBe("MAILBOX_NOT_A_FILE");
    expect(await codeOf(mailbox.get(folder.name))).toBe("MAILBOX_NOT_A_FILE");
    expect(await codeOf(mailbox.get(fifo.name))).toBe("MAILBOX_NOT_A_FILE");
    expect(await codeOf(mailbox.put(linked.name, linked.bytes))).toBe("MAILBOX_NOT_A_FILE");
    expect(await codeOf(mailbox.delete(folder.name))).toBe("MAILBOX_NOT_A_FILE");
  });

  it("lists a file that arrives late with an old mtime (out-of-order delivery)", async () => {
    const first = blob();
    await mailbox.put(first.name, first.bytes);
    const l1 = await mailbox.list();
    // A peer's file, synced later but carrying the peer's older mtime and a name that sorts first.
    let late = blob();
    while (late.name > first.name) late = blob();
    await writeFile(join(dir, late.name), late.bytes);
    await utimes(join(dir, late.name), new Date(2001, 0, 1), new Date(2001, 0, 1));
    expect((await mailbox.list(l1.cursor)).names).toEqual([late.name]);
  });

  it("refuses a file whose bytes do not match its name, or that is too large, before use", async () => {
    const a = blob();
    const b = blob();
    await writeFile(join(dir, a.name), b.bytes);
    expect(await codeOf(mailbox.get(a.name))).toBe("MAILBOX_DIGEST_MISMATCH");
    const big = blob(MAX + 1);
    await writeFile(join(dir, big.name), big.bytes);
    expect(await codeOf(mailbox.get(big.name))).toBe("MAILBOX_TOO_LARGE");
  });

  it("replaces a torn copy (same name, wrong size) on put", async () => {
    const a = blob();
    await writeFile(join(dir, a.name), a.bytes.subarray(0, 10));
    await mailbox.put(a.name, a.bytes);
    expect(await mailbox.get(a.name)).toEqual(a.bytes);
  });

  it("a cursor from another instance (a restart) lists everything again", async () => {
    const a = blob();
    await mailbox.put(a.name, a.bytes);
    const { cursor } = await mailbox.list();
    const restarted = dirMailboxFromUrl(`dir:${dir}`, { maxBundleBytes: MAX });
    expect((await restarted.list(cursor)).names).toEqual([a.name]);
  });

  it("an emptied namespace goes even when a killed writer left a temp file; a fresh temp file (a writer at work) keeps it", async () => {
    const ns = new DirMailbox(join(dir, "expired"));
    const b = blob();
    await ns.put(b.name, b.bytes);
    const leftover = join(dir, "expired", `${TEMP_PREFIX}${"ab".repeat(8)}.tmp`);
    await writeFile(leftover, b.bytes.subarray(0, 50));
    await ns.delete(b.name);
    await ns.removeIfEmpty();
    expect(existsSync(leftover)).toBe(true); // written just now: maybe a writer mid-rename
    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(leftover, old, old);
    await ns.removeIfEmpty();
    expect(existsSync(join(dir, "expired"))).toBe(false);
  });

  it("bounds the number of entries it scans", async () => {
    const small = new DirMailbox(dir, { maxEntries: 2 });
    for (let i = 0; i < 3; i++) await writeFile(join(dir, `junk${i}`), "x");
    expect(await codeOf(small.list())).toBe("MAILBOX_TOO_MANY");
  });

  it("lists a folder not created yet as empty and creates it on the first put; a missing parent is MAILBOX_IO; a bad URL MAILBOX_BAD_URL", async () => {
    const fresh = new DirMailbox(join(dir, "later"));
    expect((await fresh.list()).names).toEqual([]);
    expect(existsSync(join(dir, "later"))).toBe(false);
    const bytes = randomBytes(100);
    await fresh.put(mailboxNameFor(bytes), bytes);
    expect((await fresh.list()).names).toEqual([mailboxNameFor(bytes)]);
    await fresh.delete(mailboxNameFor(bytes));
    await fresh.removeIfEmpty();
    expect(existsSync(join(dir, "later"))).toBe(false);
    await fresh.removeIfEmpty(); // already gone: fine
    const orphan = new DirMailbox(join(dir, "no-parent", "ns"));
    expect(await codeOf(orphan.list())).toBe("MAILBOX_IO");
    expect(await codeOf(orphan.put(mailboxNameFor(bytes), bytes))).toBe("MAILBOX_IO");
    expect(existsSync(join(dir, "no-parent"))).toBe(false);
    expect(() => dirMailboxFromUrl("s3://x")).toThrow(/dir: mailbox URL/);
  });
});

describe("dir mailbox: a namespace folder replaced by a symbolic link (a Syncthing peer redirecting writes)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "airlock-dir-link-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses every call with MAILBOX_LINK and writes, reads and removes nothing through the link", async () => {
    const elsewhere = join(dir, "elsewhere");
    await mkdir(elsewhere);
    const planted = blob();
    await writeFile(join(elsewhere, planted.name), planted.bytes); // what the peer wants us to read or delete
    const namespace = join(dir, "0123456789abcdef0123456789abcdef");
    await symlink(elsewhere, namespace);
    const mailbox = new DirMailbox(namespace, { maxBundleBytes: MAX });
    const b = blob();
    expect(await codeOf(mailbox.put(b.name, b.bytes))).toBe("MAILBOX_LINK");
    expect(await codeOf(mailbox.list())).toBe("MAILBOX_LINK");
    expect(await codeOf(mailbox.get(planted.name))).toBe("MAILBOX_LINK");
    expect(await codeOf(mailbox.delete(planted.name))).toBe("MAILBOX_LINK");
    expect(await codeOf(mailbox.removeIfEmpty())).toBe("MAILBOX_LINK");
    expect((await readdir(elsewhere)).sort()).toEqual([planted.name]);
    // A file (not a folder) in the namespace's place is refused the same way.
    const fileInPlace = join(dir, "fedcba9876543210fedcba9876543210");
    await writeFile(fileInPlace, "x");
    expect(await codeOf(new DirMailbox(fileInPlace).put(b.name, b.bytes))).toBe("MAILBOX_LINK");
    // Once the link is removed, the courier recreates a real folder and works as before.
    await rm(namespace);
    await mailbox.put(b.name, b.bytes);
    expect((await mailbox.list()).names).toEqual([b.name]);
    expect((await readdir(elsewhere)).sort()).toEqual([planted.name]);
  });
});
