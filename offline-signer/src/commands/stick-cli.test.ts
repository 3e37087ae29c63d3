/**
 * Import and export on sticks and as QR, as people and scripts meet them: the real `airlock` bin
 * as child processes against real vaults (exit codes, summaries naming records, --dry-run,
 * --remove, stick cleanup, a stick with only airlock/inbox, QR warnings, --resume and --replace,
 * progress on a pipe and on a pseudo-terminal). One two-member team is made in-process once and
 * copied for each test.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AIRLOCK_BIN, airlock, airlockBatch, CLI_PASSPHRASE, cliEnv } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";
import { passphraseBytes } from "../store/index.js";
import { stateDigest } from "../vault/report.js";
import { exportBundles, importBundles } from "../vault/sync.js";
import { Vault } from "../vault/vault.js";

const { root, cleanup } = tempRoot("airlock-stick-");
afterAll(cleanup);

const open = (home: string): Promise<Vault> => Vault.open(home, passphraseBytes(CLI_PASSPHRASE), { kdf: "test-insecure" });
let fixtures = 0;

/** A fresh copy of the team: alice (owner) on a/, bob (editor) on b/, bob already welcomed. */
function team(): { a: string; b: string; dir: string } {
  const dir = join(root, `t${++fixtures}`);
  cpSync(join(root, "fixture"), dir, { recursive: true });
  return { a: join(dir, "a"), b: join(dir, "b"), dir };
}

function stick(dir: string, name: string, boxes: readonly string[] = ["inbox", "outbox"]): string {
  const s = join(dir, name);
  for (const b of boxes) mkdirSync(join(s, "airlock", b), { recursive: true });
  return s;
}

const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);
const json = (stdout: string): Record<string, unknown> => JSON.parse(stdout) as Record<string, unknown>;

function ok(args: readonly string[]): Record<string, unknown> {
  const r = airlock([...args, "--json"]);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return json(r.stdout);
}

/** What a dry run must leave as it was: the visible state, the stored rows it could touch, the clock, the held files. */
async function footprint(home: string): Promise<unknown> {
  const v = await open(home);
  try {
    const st = v.storage;
    return {
      digest: stateDigest(v),
      changesets: st.changesets.countByStatus(),
      heads: st.heads.all().map((h) => [Buffer.from(h.device).toString("hex"), h.seq]),
      acks: st.acks.all().map((a) => [Buffer.from(a.peer).toString("hex"), Buffer.from(a.device).toString("hex"), a.seq]),
      entries: v.entries().size,
      quarantine: st.quarantine.latest(1000).length,
      blobs: st.blobs.all().length,
      clock: st.meta.get("hlc"),
      files: files(join(home, "blobs")),
    };
  } finally {
    v.close();
  }
}

beforeAll(async () => {
  const a = await Vault.create(join(root, "fixture", "a"), passphraseBytes(CLI_PASSPHRASE), { kdf: "test-insecure" });
  a.init("Field office", "alice");
  const b = await Vault.create(join(root, "fixture", "b"), passphraseBytes(CLI_PASSPHRASE), { kdf: "test-insecure" });
  a.addMember(b.joinRequest("bob").bytes, "editor");
  importBundles(b, exportBundles(a).map((x, i) => ({ bytes: x.bytes, source: `bundle ${i}` })));
  a.close();
  b.close();
});

describe("airlock import: exit codes", () => {
  it("exits 3 for a file that is not a bundle and for a tampered bundle, 0 for a stick with only airlock/inbox", () => {
    const t = team();
    writeFileSync(join(t.dir, "README.md"), "# not a bundle\n".repeat(100));
    const s = stick(t.dir, "s");
    airlockBatch([["notes", "add", "--title", "first", "--home", t.a], ["export", "--usb", s, "--home", t.a]]);
    const name = files(join(s, "airlock", "outbox")).find((n) => n.endsWith(".airlock"))!;
    const bytes = readFileSync(join(s, "airlock", "outbox", name));
    bytes[bytes.length - 100]! ^= 1;
    writeFileSync(join(t.dir, "tampered.airlock"), bytes);
    const onlyInbox = stick(t.dir, "only-inbox", ["inbox"]);
    const [notBundle, tampered, empty, exported] = airlockBatch([
      ["import", join(t.dir, "README.md"), "--home", t.b, "--json"],
      ["import", join(t.dir, "tampered.airlock"), "--home", t.b, "--json"],
      ["import", onlyInbox, "--home", t.b, "--json"],
      ["export", "--usb", onlyInbox, "--home", t.a, "--json"],
    ]);
    expect(notBundle!.status).toBe(3);
    expect((json(notBundle!.stdout)["report"] as { issues: { code: string }[] }).issues.map((i) => i.code)).toEqual(["BUNDLE_MALFORMED"]);
    expect(tampered!.status).toBe(3);
    expect((json(tampered!.stdout)["report"] as { issues: { code: string }[] }).issues[0]!.code).toMatch(/^BUNDLE_/);
    expect(empty!.status, empty!.stdout + empty!.stderr).toBe(0);
    expect(exported!.status, exported!.stdout + exported!.stderr).toBe(0);
    // What went onto the inbox-only stick imports, with exit 0.
    expect(airlock(["import", onlyInbox, "--home", t.b]).status).toBe(0);
  });
});

describe("airlock import: summaries that name records", () => {
  it("lists created, changed and deleted records with titles and who, capped with 'and N more'; the log names them too", () => {
    const t = team();
    const s = stick(t.dir, "s");
    const adds = Array.from({ length: 22 }, (_, i) => ["notes", "add", "--title", `note ${String(i).padStart(2, "0")}`, "--home", t.a, "--json"]);
    const added = airlockBatch([...adds, ["notes", "add", "--title", "evil\u001b[2Jtitle", "--home", t.a, "--json"], ["export", "--usb", s, "--home", t.a]]);
    const first = airlock(["import", s, "--home", t.b]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('"Notes" (notes): 23 new');
    expect(first.stdout).toContain('  + "note 00" by "alice"');
    expect(first.stdout).toContain("… and 3 more");
    expect(first.stdout).toContain('"evil\\x1b[2Jtitle"');
    expect(first.stdout).not.toContain("\u001b");
    // Changes and deletions, in --json the same data.
    const id0 = (json(added[0]!.stdout)["id"] as string) ?? "";
    const id1 = json(added[1]!.stdout)["id"] as string;
    const s2 = stick(t.dir, "s2");
    airlockBatch([["notes", "edit", id0, "--title", "renamed", "--home", t.a], ["notes", "rm", id1, "--home", t.a], ["export", "--usb", s2, "--home", t.a]]);
    const [imported, logged] = airlockBatch([["import", s2, "--home", t.b, "--json"], ["log", "--home", t.b, "--json"]]);
    const second = json(imported!.stdout);
    const records = (second["report"] as { records: { collection: string; changed: number; deleted: number; records: { id: string; title: string; kind: string; by: string[] }[] }[] }).records;
    expect(records).toEqual([expect.objectContaining({ collection: "notes", changed: 1, deleted: 1 })]);
    expect(records[0]!.records).toEqual([
      { id: id0, title: "renamed", kind: "changed", by: ["alice"] },
      { id: id1, title: "note 01", kind: "deleted", by: ["alice"] },
    ]);
    const log = json(logged!.stdout)["events"] as { what: string; records?: { id: string; title?: string }[] }[];
    expect(log.some((e) => /notes: "renamed" \(\d+ change\(s\)\)/.test(e.what))).toBe(true);
    expect(log.some((e) => e.what.includes(`deleted ${id1.slice(0, 12)}`))).toBe(true);
  });
});

describe("airlock import --dry-run", () => {
  it("says what would change and changes nothing: not the vault (state, rows, acks, files), not the stick", async () => {
    const t = team();
    const s = stick(t.dir, "s");
    airlockBatch([["notes", "add", "--title", "would arrive", "--home", t.a], ["export", "--usb", s, "--home", t.a]]);
    const before = await footprint(t.b);
    const stickBefore = files(join(s, "airlock", "outbox")).map((n) => [n, statSync(join(s, "airlock", "outbox", n)).mtimeMs]);
    const dry = airlock(["import", "--dry-run", s, "--home", t.b, "--json"]);
    expect(dry.status, dry.stderr).toBe(0);
    const out = json(dry.stdout);
    expect(out["dryRun"]).toBe(true);
    const dryRecords = (out["report"] as { records: unknown[] }).records;
    expect(dryRecords).toEqual([expect.objectContaining({ collection: "notes", created: 1, records: [expect.objectContaining({ title: "would arrive", kind: "created", by: ["alice"] })] })]);
    expect(await footprint(t.b)).toEqual(before);
    expect(files(join(s, "airlock", "outbox")).map((n) => [n, statSync(join(s, "airlock", "outbox", n)).mtimeMs])).toEqual(stickBefore);
    // The real import then does what the dry run said.
    expect((ok(["import", s, "--home", t.b])["report"] as { records: unknown[] }).records).toEqual(dryRecords);
  });
});

describe("stick cleanup", () => {
  it("import --remove takes what it applied or held; never a refused file, nor one another device may need", () => {
    const t = team();
    const s = stick(t.dir, "s");
    airlockBatch([["notes", "add", "--title", "x", "--home", t.a], ["export", "--usb", s, "--home", t.a]]);
    const box = join(s, "airlock", "outbox");
    const exported = files(box);
    const refused = join(s, "airlock", "inbox", `${"a".repeat(26)}.airlock`);
    const bad = readFileSync(join(box, exported[0]!));
    bad[bad.length - 1]! ^= 1;
    writeFileSync(refused, bad);
    const r = airlock(["import", "--remove", s, "--home", t.b, "--json"]);
    expect(r.status).toBe(3); // the tampered copy was refused
    expect(json(r.stdout)["removed"]).toBe(exported.length);
    expect(files(box)).toEqual([]);
    expect(existsSync(refused)).toBe(true);
    // Alice's own bundles are not for her: --remove leaves them to their recipients.
    const s2 = stick(t.dir, "s2");
    const [, own] = airlockBatch([["export", "--usb", s2, "--home", t.a], ["import", "--remove", s2, "--home", t.a, "--json"]]);
    expect(json(own!.stdout)["removed"]).toBe(0);
    expect(files(join(s2, "airlock", "outbox"))).toHaveLength(2);
  });

  it("export --usb removes this vault's earlier bundles once every recipient acknowledged them, and nothing else", () => {
    const t = team();
    const s = stick(t.dir, "s");
    const box = join(s, "airlock", "outbox");
    // Not acknowledged yet: exporting again keeps the first export's bundles.
    const [, first, second] = airlockBatch([["notes", "add", "--title", "x", "--home", t.a], ["export", "--usb", s, "--home", t.a, "--json"], ["export", "--usb", s, "--home", t.a, "--json"]]);
    expect(json(first!.stdout)["removed"]).toBe(0);
    expect(json(second!.stdout)["removed"]).toBe(0);
    const alices = files(box);
    // Bob imports and answers on the same stick; alice imports his bundle (and his acks).
    airlockBatch([["import", s, "--home", t.b], ["export", "--usb", s, "--home", t.b]]);
    const bobs = files(box).filter((n) => !alices.includes(n));
    expect(bobs.length).toBeGreaterThan(0);
    const [imported] = airlockBatch([["import", s, "--home", t.a]]);
    expect(imported!.status, imported!.stdout).toBe(0);
    writeFileSync(join(box, "notes.txt"), "someone else's file");
    const r = airlock(["export", "--usb", s, "--home", t.a]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Removed ${alices.length} earlier bundle`));
    const left = files(box);
    for (const n of alices) expect(left).not.toContain(n);
    for (const n of bobs) expect(left).toContain(n);
    expect(left).toContain("notes.txt");
  });
});

/** Runs `export --qr` into `qr` and SIGKILLs it once `count` frames of `folder` (inside it) exist. */
function killAfterFrames(args: readonly string[], qr: string, folder: string, count: number): Promise<void> {
  return new Promise((resolve) => {
    mkdirSync(qr, { recursive: true });
    const child = spawn(process.execPath, [AIRLOCK_BIN, ...args], { env: cliEnv(), stdio: "ignore" });
    const watcher = watch(qr, { recursive: true }, () => {
      if (files(folder).filter((n) => n.endsWith(".png")).length >= count) child.kill("SIGKILL");
    });
    child.on("exit", () => {
      watcher.close();
      resolve();
    });
  });
}

describe("airlock export --qr", () => {
  it("warns of frames and time, refuses an interrupted folder naming --resume and --replace, resumes it, and replaces only its own files", async () => {
    const t = team();
    airlock(["notes", "add", "--title", "by qr", "--body", "b".repeat(6000), "--home", t.a]);
    const qr = join(t.dir, "qr");
    await killAfterFrames(["export", "--qr", qr, "--preset", "low", "--home", t.a], qr, join(qr, "01-sync"), 3);
    expect(files(join(qr, "01-sync"))).toContain("bundle.sealed");
    // A copy whose sealed bundle lost one bit: same size, other bytes, refused rather than resumed.
    const damaged = join(t.dir, "qr-damaged");
    cpSync(qr, damaged, { recursive: true });
    const sealedCopy = join(damaged, "01-sync", "bundle.sealed");
    const flipped = readFileSync(sealedCopy);
    flipped[flipped.length >> 1]! ^= 1;
    writeFileSync(sealedCopy, flipped);
    const [refused, badCopy, resumed, imported, help] = airlockBatch([
      ["export", "--qr", qr, "--preset", "low", "--home", t.a],
      ["export", "--qr", damaged, "--resume", "--home", t.a],
      ["export", "--qr", qr, "--resume", "--home", t.a, "--json"],
      ["import", join(qr, "01-sync"), "--home", t.b, "--json"],
      ["export", "--help"],
    ]);
    expect(refused!.status).toBe(1);
    expect(refused!.stderr).toMatch(/hint: .*--resume.*--replace/);
    expect(badCopy!.status).toBe(1);
    expect(badCopy!.stderr).toMatch(/bundle\.sealed is damaged: its bytes differ from the ones sealed/);
    expect(resumed!.status, resumed!.stdout + resumed!.stderr).toBe(0);
    expect(resumed!.stderr).toMatch(/note: \d+ frames, about \d+ s at 8 fps/);
    const sync = (json(resumed!.stdout)["bundles"] as { kind: string; path: string; frames: number }[]).find((b) => b.kind === "sync")!;
    expect(files(sync.path).filter((n) => n.endsWith(".png"))).toHaveLength(sync.frames);
    expect(files(sync.path)).not.toContain("bundle.sealed");
    // The completed transfer decodes from its pixels on the other vault.
    expect(json(imported!.stdout)["report"]).toMatchObject({ applied: 1 });
    expect(help!.stdout).toMatch(/--replace[\s\S]*--resume|--resume[\s\S]*--replace/);
    // --replace: the earlier export goes, files of someone else's stay.
    writeFileSync(join(qr, "01-sync", "mine.txt"), "keep");
    writeFileSync(join(qr, "other.txt"), "keep");
    const [replaced] = airlockBatch([["export", "--qr", qr, "--replace", "--home", t.a, "--json"]]);
    expect(replaced!.status, replaced!.stdout).toBe(0);
    expect(readFileSync(join(qr, "other.txt"), "utf8")).toBe("keep");
    expect(readFileSync(join(qr, "01-sync", "mine.txt"), "utf8")).toBe("keep");
  });

  it("join --qr says as many frames as it writes", () => {
    const dir = join(root, "joiner");
    const out = ok(["join", "--name", "carol", "--out", join(dir, "carol.req"), "--qr", join(dir, "qr"), "--home", join(dir, "home")]);
    expect(out["frames"]).toBe(files(join(dir, "qr")).filter((n) => n.endsWith(".png")).length);
  });
});

describe("progress", () => {
  it("a pipe gets a few summary lines, a terminal one live line redrawn in place", () => {
    const t = team();
    const s = stick(t.dir, "s");
    const [, piped, imported] = airlockBatch([["notes", "add", "--title", "x", "--home", t.a], ["export", "--usb", s, "--home", t.a], ["import", s, "--home", t.b]]);
    const lines = piped!.stderr.split("\n").filter((l) => /^writing /.test(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(imported!.stderr.split("\n").filter((l) => /^usb /.test(l)).length).toBeLessThanOrEqual(2);
    // On a pseudo-terminal (script(1) runs the command on one): redrawn with \r and cleared.
    const qr = join(t.dir, "qr");
    const cmd = [process.execPath, AIRLOCK_BIN, "export", "--qr", qr, "--home", t.a].map((a) => `'${a}'`).join(" ");
    const tty = spawnSync("script", ["-qfc", cmd, "/dev/null"], { encoding: "utf8", env: cliEnv() });
    expect(tty.status, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(/\rrendering \d+ QR frames: [\d,]+\/[\d,]+ frames {2}\d+%/);
    expect(tty.stdout).toContain("\r\u001b[K");
  });
});
