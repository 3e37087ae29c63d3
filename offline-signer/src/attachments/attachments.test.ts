/**
 * Attached files on real vaults through real drop folders: a file attached on one laptop is
 * read back byte for byte on another; the same file is stored and sent once; a record can
 * arrive before its file and the file follows when asked for; a lost stick is caught up by
 * `wants`; hostile file bundles (a stranger's, a tampered one) and files over a quota are not
 * kept and change nothing else; bad references are refused on every vault alike.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ed25519KeyPair, encodeCanonical, encodeFileHead, inspectBundle, sealBundle, toHex } from "@airlock/bundle-format";
import { importInto, newVault, sync, team, tempRoots } from "../../test-support/vaults.js";
import { HostileMember } from "../../test-support/hostile.js";
import { APPS, appNamed } from "../apps/registry.js";
import { encodeRef } from "../apps/attachments/ref.js";
import { FILES_SINCE, withAttachments } from "../apps/attachments/field.js";
import { createDoc } from "../apps/docs/ops.js";
import { addTicket } from "../apps/tickets/write.js";
import { ticketOf } from "../apps/tickets/ticket.js";
import { filesToSend } from "./send.js";
import { addNote } from "../apps/notes/index.js";
import { exportTo, importFrom } from "../vault/transfer.js";
import type { Vault } from "../vault/vault.js";
import { attachFile, detachFile, findFile, getFile, listFiles, locateRecord, prune } from "./local.js";
import { parseSize, setQuota } from "./quota.js";
import { BLOBS_DIR, sweep, SWEEP_AGE_MS } from "./folder.js";
import { wantedFiles } from "./receive.js";
import { wantToken } from "./wants.js";

const root = tempRoots("airlock-attach-");
const sha = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

async function pair(): Promise<{ a: Vault; b: Vault; dir: string; note: string }> {
  const dir = root();
  const { a, b } = await team(dir);
  const note = addNote(a, "notes", { title: "Evidence" }).id;
  sync(a, b);
  return { a, b, dir, note };
}

function fileOf(dir: string, name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, randomBytes(bytes));
  return path;
}

/** Exports from `from` onto a fresh stick folder and imports it into `to` (files over 64 KiB streamed). */
async function carry(from: Vault, to: Vault, dir: string, tag: string, options: { noFiles?: boolean; drop?: (outbox: string) => void } = {}) {
  const usb = join(dir, `usb-${tag}`);
  mkdirSync(usb);
  const written = await exportTo(from, { usb }, () => {}, { noFiles: options.noFiles === true });
  options.drop?.(join(usb, "airlock", "outbox"));
  const { report } = await importFrom(to, [usb], undefined, 64 * 1024);
  return { written, report };
}

const blobFiles = (v: Vault): string[] => (existsSync(join(v.store.dir, BLOBS_DIR)) ? readdirSync(join(v.store.dir, BLOBS_DIR)) : []);

describe("attached files between two laptops", () => {
  it("arrive byte for byte, are stored and sent once, and follow a record that came first", async () => {
    const { a, b, dir, note } = await pair();
    const big = fileOf(dir, "scan.pdf", 300_000);
    const small = fileOf(dir, "photo.jpg", 20_000);
    const first = await attachFile(a, "notes", note, big);
    expect(first).toMatchObject({ deduplicated: false, ref: { name: "scan.pdf", size: 300_000, type: "application/pdf" } });
    await attachFile(a, "notes", note, small);
    // The same bytes on another record: one stored copy.
    const other = addNote(a, "notes", { title: "Copy" }).id;
    expect((await attachFile(a, "notes", other, big, { name: "again.pdf" })).deduplicated).toBe(true);
    expect(blobFiles(a)).toHaveLength(2);

    const { written, report } = await carry(a, b, dir, "1");
    // Two files (one of them under either of its names), however many records name them.
    const files = written.filter((w) => w.kind === "file").map((w) => w.file);
    expect(files).toHaveLength(2);
    expect(files).toContain("photo.jpg");
    expect(report.files).toMatchObject({ received: 2, duplicates: 0, bytes: 320_000 });
    expect(report.issues).toEqual([]);
    const out = join(dir, "got.pdf");
    await getFile(b, findFile(b, "notes", other), out);
    expect(sha(out)).toBe(sha(big));
    // Held now on both: the next export sends no file again.
    expect((await carry(a, b, dir, "2")).written.filter((w) => w.kind === "file")).toEqual([]);

    // A record exported without its file: listed as not here yet, and asked for.
    const late = fileOf(dir, "late.txt", 5_000);
    await attachFile(a, "notes", note, late);
    await carry(a, b, dir, "3", { noFiles: true });
    const missing = listFiles(b, { collection: "notes", record: note }).find((f) => f.ref.name === "late.txt")!;
    expect(missing.held).toBe(false);
    await expect(getFile(b, missing, join(dir, "x"))).rejects.toMatchObject({ code: "VAULT_FILE_MISSING" });
    const back = await carry(b, a, dir, "4");
    expect(back.report.issues).toEqual([]);
    const resent = await carry(a, b, dir, "5");
    expect(resent.written.filter((w) => w.kind === "file").map((w) => w.file)).toEqual(["late.txt"]);
    await getFile(b, findFile(b, "notes", note, "late.txt"), join(dir, "late-got.txt"));
    expect(sha(join(dir, "late-got.txt"))).toBe(sha(late));
  });

  it("a lost stick: the file marked as sent is asked for again and sent again", async () => {
    const { a, b, dir, note } = await pair();
    const f = fileOf(dir, "report.odt", 90_000);
    await attachFile(a, "notes", note, f);
    // The file bundle never reaches Bob (taken off the stick); the record does.
    const lost = await carry(a, b, dir, "1", { drop: (outbox) => rmSync(join(outbox, readdirSync(outbox).find((n) => readFileSync(join(outbox, n)).length > 90_000)!)) });
    expect(lost.report.files.received).toBe(0);
    expect(listFiles(b)[0]!.held).toBe(false);
    // Bob asks without naming the file: a token only holders of the collection's key can match.
    const hash = listFiles(b)[0]!.ref.hash;
    const wants = wantedFiles(b, 10);
    expect(wants.map(toHex)).toEqual([toHex(wantToken(b.currentKey("notes")!, hash))]);
    expect(wants.map(toHex)).not.toContain(toHex(hash));
    // Alice believes Bob holds it; Bob's next bundle says he wants it.
    expect((await carry(a, b, dir, "2")).written.filter((w) => w.kind === "file")).toEqual([]);
    await carry(b, a, dir, "3");
    const again = await carry(a, b, dir, "4");
    expect(again.report.files.received).toBe(1);
    expect(listFiles(b)[0]!.held).toBe(true);
  });

  it("keeps the record but not a file over this laptop's quota, and does not ask for it", async () => {
    const { a, b, dir, note } = await pair();
    setQuota(b, "notes", { maxFile: 50_000 });
    await attachFile(a, "notes", note, fileOf(dir, "huge.bin", 80_000));
    const { report } = await carry(a, b, dir, "1");
    expect(report.files.received).toBe(0);
    expect(report.issues.map((i) => i.code)).toEqual(["VAULT_FILE_QUOTA"]);
    expect(listFiles(b)).toHaveLength(1);
    expect(listFiles(b)[0]!.held).toBe(false);
    expect(blobFiles(b)).toEqual([]);
    // Not asked for: Alice sends nothing more after hearing from Bob.
    await carry(b, a, dir, "2");
    expect((await carry(a, b, dir, "3")).written.filter((w) => w.kind === "file")).toEqual([]);
    // And on Alice's side, attaching over her own quota is refused before anything is stored.
    setQuota(a, "notes", { maxFile: 1000 });
    await expect(attachFile(a, "notes", note, fileOf(dir, "b.bin", 2000))).rejects.toMatchObject({ code: "VAULT_FILE_QUOTA" });
    expect(blobFiles(a)).toHaveLength(1);
  });

  it("refuses a stranger's file bundle and a tampered one, keeping nothing of either", async () => {
    const { a, b, dir, note } = await pair();
    const body = new Uint8Array([...encodeFileHead(3), 1, 2, 3]);
    const stranger = ed25519KeyPair(randomBytes(32));
    const forged = sealBundle(body, { recipients: [b.encryptionKey.publicKey], sender: stranger, mailboxTag: new Uint8Array(16) });
    const r1 = importInto(b, [forged]);
    expect(r1.issues.map((i) => i.code)).toEqual(["FILE_SENDER"]);
    await attachFile(a, "notes", note, fileOf(dir, "doc.pdf", 100_000));
    const usb = join(dir, "usb-t");
    mkdirSync(usb);
    await exportTo(a, { usb });
    const outbox = join(usb, "airlock", "outbox");
    for (const n of readdirSync(outbox)) {
      const bytes = readFileSync(join(outbox, n));
      if (bytes.length < 100_000) continue;
      bytes[bytes.length - 100] ^= 1;
      writeFileSync(join(outbox, n), bytes);
    }
    for (const threshold of [64 * 1024, 256 * 1024 * 1024]) {
      const { report } = await importFrom(b, [usb], undefined, threshold);
      expect(report.issues.map((i) => i.code)).toContain("BUNDLE_AUTH");
      expect(report.files.received).toBe(0);
    }
    expect(blobFiles(b)).toEqual([]);
    expect(listFiles(b)[0]!.held).toBe(false);
  });

  it("refuses a record that is not there, a folder, a bad name or type, and sizes that are not sizes", async () => {
    const { a, dir, note } = await pair();
    const f = fileOf(dir, "ok.pdf", 10);
    await expect(attachFile(a, "notes", "ffff0000", f)).rejects.toMatchObject({ code: "VAULT_NOT_FOUND" });
    await expect(attachFile(a, "notes", note, dir)).rejects.toMatchObject({ code: "VAULT_BAD_ARGUMENT" });
    await expect(attachFile(a, "notes", note, join(dir, "absent"))).rejects.toMatchObject({ code: "SOURCE_NOT_FOUND" });
    await expect(attachFile(a, "notes", note, f, { name: "a/b.pdf" })).rejects.toMatchObject({ code: "VAULT_BAD_ARGUMENT" });
    await expect(attachFile(a, "notes", note, f, { type: "pdf" })).rejects.toMatchObject({ code: "VAULT_BAD_ARGUMENT" });
    expect(() => locateRecord(a, "zz")).toThrow(/no record "zz"/);
    for (const bad of ["lots", "1QB", "-5MB", ""]) expect(() => parseSize(bad), bad).toThrow(/size|unit/);
    expect([parseSize("2GiB"), parseSize("500 MB"), parseSize("1.5KiB"), parseSize("7")]).toEqual([2 ** 31, 500e6, 1536, 7]);
    expect(() => setQuota(a, "notes", { maxFile: 10, total: 5 })).toThrow(/cannot exceed/);
    expect(() => setQuota(a, "nope", {})).toThrow(/no collection/);
    expect(blobFiles(a)).toEqual([]);
  });

  it("detaching and pruning free the bytes only when no record names them", async () => {
    const { a, dir, note } = await pair();
    const f = fileOf(dir, "x.bin", 10_000);
    await attachFile(a, "notes", note, f);
    const other = addNote(a, "notes", { title: "Other" }).id;
    await attachFile(a, "notes", other, f);
    detachFile(a, findFile(a, "notes", note));
    expect(prune(a)).toBe(0);
    detachFile(a, findFile(a, "notes", other));
    expect(prune(a)).toBe(10_000);
    expect(blobFiles(a)).toEqual([]);
    // What an attach that died half way leaves: swept once it is an hour old, not before.
    writeFileSync(join(a.store.dir, BLOBS_DIR, "0123.bundle"), "half");
    expect(sweep(a)).toBe(0);
    expect(sweep(a, Date.now() + SWEEP_AGE_MS + 1000)).toBe(1);
    expect(blobFiles(a)).toEqual([]);
  });
});

describe("file references, checked on every vault alike", () => {
  const notes = appNamed("notes", APPS)!;
  const good = { hash: new Uint8Array(32).fill(7), name: "scan.pdf", size: 10, type: "application/pdf" };
  const cbor = (m: [string, unknown][]): Uint8Array => encodeCanonical(new Map(m) as never);
  const hostile: [string, Uint8Array, RegExp][] = [
    ["a control character in the name", cbor([["h", good.hash], ["n", "a\u001b[2Jb"], ["s", 1], ["t", "text/plain"]]), /control character/],
    ["a path in the name", cbor([["h", good.hash], ["n", "../../etc/passwd"], ["s", 1], ["t", "text/plain"]]), /slash/],
    ["a direction override", cbor([["h", good.hash], ["n", "invoice\u202efdp.exe"], ["s", 1], ["t", "text/plain"]]), /direction mark/],
    ["an invisible character", cbor([["h", good.hash], ["n", "a\u200bb.pdf"], ["s", 1], ["t", "text/plain"]]), /invisible/],
    ["a short hash", cbor([["h", new Uint8Array(31)], ["n", "a"], ["s", 1], ["t", "text/plain"]]), /32 bytes/],
    ["a size past the limit", cbor([["h", good.hash], ["n", "a"], ["s", 2 ** 50], ["t", "text/plain"]]), /size/],
    ["a bad media type", cbor([["h", good.hash], ["n", "a"], ["s", 1], ["t", "text plain"]]), /media type/],
    ["an extra key", cbor([["h", good.hash], ["n", "a"], ["s", 1], ["t", "text/plain"], ["x", 1]]), /map of h, n, s and t/],
    ["not CBOR", new Uint8Array([0xff, 0x00]), /canonical CBOR/],
  ];
  let shared: Promise<{ a: Vault }> | undefined;
  it.each(hostile)("refuses %s", async (_, value, why) => {
    const { a } = await (shared ??= pair());
    const check = notes.check!([{ kind: "add", record: "r", field: "files", value }], { state: a.state(), author: a.deviceId, version: notes.schema.version });
    expect(check).toMatch(why);
  });

  it("a member's forged reference is rejected on import, and the rest of the bundle still lands", async () => {
    const { a, b, note } = await pair();
    const hostileBob = new HostileMember(b);
    const bad = hostileBob.changeset({ collection: "notes", version: 2, ops: [{ kind: "add", record: note, field: "files", value: cbor([["h", good.hash], ["n", "x\u0007"], ["s", 1], ["t", "text/plain"]]) }] });
    const fine = hostileBob.changeset({ collection: "notes", version: 2, ops: [{ kind: "add", record: note, field: "files", value: encodeRef(good) }] });
    const report = importInto(a, [hostileBob.bundle({ changesets: [bad, fine] })]);
    expect(report.rejected).toBe(1);
    expect(listFiles(a).map((f) => toHex(f.ref.hash))).toEqual([toHex(good.hash)]);
  });
});

describe("what a hostile member, an order of arrival or a broken disk cannot do", () => {
  it("each app keeps its own files version: events (which had its own version 2) gained files at 3", () => {
    for (const app of APPS) {
      const since = FILES_SINCE[app.schema.app]!;
      expect(app.schema.versions[since - 1]!.some((f) => f.name === "files"), app.schema.app).toBe(false);
      expect(app.schema.versions[since]!.some((f) => f.name === "files"), app.schema.app).toBe(true);
    }
    expect(FILES_SINCE["events"]).toBe(3);
    expect(() => withAttachments({ ...APPS[0]!, schema: { app: "notes", version: 2, versions: { 1: [], 2: [] } } })).toThrow(/its files version/);
  });

  it("apps judge files like their own fields: only a document's creator attaches to it; a ticket's file goes into its history", async () => {
    const { a, b, dir } = await pair();
    a.createCollection("docs", "Docs", "viewer", "editor", "docs");
    const doc = createDoc(a, "docs", "Policy", "text").id;
    const ticket = addTicket(a, (a.createCollection("tickets", "Tickets", "viewer", "editor", "tickets"), "tickets"), { title: "Broken lock" }, a.now()).id;
    sync(a, b);
    const f = fileOf(dir, "annex.pdf", 100);
    await expect(attachFile(b, "docs", doc, f)).rejects.toThrow(/only the document's creator attaches files/);
    await attachFile(a, "docs", doc, f);
    await attachFile(b, "tickets", ticket, f);
    expect(ticketOf(b.record("tickets", ticket)!).history.map((h) => h.what)).toContain("attached annex.pdf");
    sync(b, a);
    // A hostile editor's bare file op on the ticket, with no history entry, is refused everywhere.
    const bad = new HostileMember(b).changeset({ collection: "tickets", version: 2, ops: [{ kind: "add", record: ticket, field: "files", value: encodeRef({ hash: new Uint8Array(32).fill(3), name: "x.pdf", size: 1, type: "application/pdf" }) }] });
    expect(importInto(a, [new HostileMember(b).bundle({ changesets: [bad] })]).rejected).toBe(1);
  });

  it("a reference that lies about the size never matches the held file, and sends nothing under its name", async () => {
    const { a, b, dir, note } = await pair();
    const real = await attachFile(a, "notes", note, fileOf(dir, "big.bin", 60_000));
    sync(a, b);
    b.write("notes", [{ kind: "add", record: note, field: "files", value: encodeRef({ ...real.ref, name: "!tiny.txt", size: 1 }) }]);
    sync(b, a);
    const lie = listFiles(a).find((x) => x.ref.name === "!tiny.txt")!;
    expect(lie.held).toBe(false);
    await expect(getFile(a, lie, join(dir, "t"))).rejects.toMatchObject({ code: "VAULT_FILE_MISSING" });
    expect(filesToSend(a).map((x) => [x.ref.name, x.ref.size])).toEqual([["big.bin", 60_000]]);
  });

  it("naming a file's hash in a collection one reads does not fetch it out of one one may not read", async () => {
    const { a, b, dir, note } = await pair();
    a.createCollection("board", "Board", "admin", "admin", "notes");
    const minutes = addNote(a, "board", { title: "Minutes" }).id;
    const secret = await attachFile(a, "board", minutes, fileOf(dir, "leak.pdf", 5_000));
    sync(a, b);
    // Bob hashed the leaked document himself and names it on a note he may write.
    b.write("notes", [{ kind: "add", record: note, field: "files", value: encodeRef({ ...secret.ref, name: "guess.pdf" }) }]);
    sync(b, a);
    expect(filesToSend(a)).toEqual([]);
    expect((await carry(a, b, dir, "x")).report.files.received).toBe(0);
  });

  it("a file that came before its record is charged to the record's collection once it arrives", async () => {
    const { a, b, dir, note } = await pair();
    setQuota(b, "notes", { maxFile: 100_000, total: 100_000 });
    await attachFile(a, "notes", note, fileOf(dir, "one.bin", 70_000));
    await attachFile(a, "notes", note, fileOf(dir, "two.bin", 70_000));
    const usb = join(dir, "usb-order");
    mkdirSync(usb);
    await exportTo(a, { usb });
    const outbox = join(usb, "airlock", "outbox");
    const held = join(dir, "held");
    mkdirSync(held);
    // The sync bundle (and the welcome Bob still gets) held back: both files arrive first, with no record naming them.
    for (const n of readdirSync(outbox)) if (readFileSync(join(outbox, n)).length < 60_000) renameSync(join(outbox, n), join(held, n));
    const early = await importFrom(b, [usb], undefined, 64 * 1024);
    expect(early.report.issues).toEqual([]);
    expect(early.report.files.received).toBe(2);
    rmSync(usb, { recursive: true });
    const late = await importFrom(b, readdirSync(held).map((n) => join(held, n)), undefined, 64 * 1024);
    expect(late.report.issues.map((i) => i.code)).toEqual(["VAULT_FILE_QUOTA"]);
    expect(listFiles(b).filter((x) => x.held)).toHaveLength(1);
    // And the one left out is not asked for while the collection is full.
    expect(wantedFiles(b, 10)).toEqual([]);
  });

  it("a stored copy gone from disk is dropped and asked for again; the export goes on", async () => {
    const { a, b, dir, note } = await pair();
    await attachFile(a, "notes", note, fileOf(dir, "a.bin", 1000));
    await attachFile(a, "notes", note, fileOf(dir, "b.bin", 2000));
    const gone = listFiles(a).find((x) => x.ref.name === "a.bin")!;
    rmSync(join(a.store.dir, BLOBS_DIR, a.storage.blobs.get(gone.ref.hash)!.file));
    const { written, report } = await carry(a, b, dir, "1");
    expect(written.filter((w) => w.kind === "file").map((w) => [w.file, w.skipped === undefined])).toEqual([["a.bin", false], ["b.bin", true]]);
    expect(report.files.received).toBe(1);
    expect(listFiles(a).find((x) => x.ref.name === "a.bin")!.held).toBe(false);
  });

  it("a file's bundle has the slot count of a sync bundle to the whole team, however few read it", async () => {
    const dir = root();
    const { a, b, clock } = await team(dir);
    const more = [];
    for (const name of ["c", "d", "e", "f"]) {
      const v = await newVault(dir, name, clock);
      a.addMember(v.joinRequest(name).bytes, "viewer");
      more.push(v);
    }
    a.createCollection("board", "Board", "editor", "editor", "notes");
    const r = addNote(a, "board", { title: "Only two read this" }).id;
    sync(a, b, ...more);
    await attachFile(a, "board", r, fileOf(dir, "plan.pdf", 3000));
    const usb = join(dir, "usb-slots");
    mkdirSync(usb);
    const written = await exportTo(a, { usb });
    const slots = (w: { path: string }): number => inspectBundle(readFileSync(w.path)).slotCount;
    const file = written.find((w) => w.kind === "file")!;
    expect(slots(file)).toBe(slots(written.find((w) => w.kind === "sync")!));
  });
});
