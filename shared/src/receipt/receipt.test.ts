/**
 * Receipts: round trips and the one encoding, every bit of a receipt checked, hostile arguments,
 * the QR symbol read back from real pixels (a PNG through readSources, the terminal text through
 * the scanner), and the stick folder against a hostile stick.
 */
import { randomBytes } from "node:crypto";
import { lutimesSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { FountainDecoder } from "@airlock/bundle-format";
import { isAirlockError } from "../errors.js";
import { scanQrPixels } from "../qr/scan-pixels.js";
import { readSources } from "../sources/read-sources.js";
import { TransportKey } from "../transport-key/transport-key.js";
import { terminalToImage } from "../../test-support/terminal.js";
import {
  MAX_QR_RECEIPT_IDS,
  MAX_RECEIPT_FILES,
  MAX_RECEIPT_IDS,
  MAX_RECEIPT_LENGTH,
  ReceiptKey,
  looksLikeReceipt,
  openReceipt,
  readReceiptFiles,
  receiptIdOf,
  receiptSymbol,
  receiptsFolderOf,
  removeReceiptFile,
  renderReceiptPng,
  renderReceiptTerminal,
  writeReceiptFile,
  type ReceiptFileEvent,
} from "./index.js";

const root = mkdtempSync(join(tmpdir(), "airlock-receipt-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tk = TransportKey.generate();
const key = ReceiptKey.of(tk);
const teams = [{ team: "t", key }];
const someIds = (n: number): string[] => Array.from({ length: n }, () => randomBytes(8).toString("hex"));
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return isAirlockError(e) ? e.code : `not typed: ${String(e)}`;
  }
};

describe("receipt codec", () => {
  it("round-trips any set of ids; sealing the opened contents again with the same nonce gives the same bytes", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 70 }), fc.nat(2 ** 45), fc.uint8Array({ minLength: 16, maxLength: 16 }), (raw, timeMs, nonce) => {
        const ids = [...new Set(raw.map((b) => Buffer.from(b).toString("hex")))];
        const sealed = key.seal({ timeMs, ids }, nonce);
        const opened = openReceipt(sealed, teams);
        expect(opened).toEqual({ team: "t", timeMs, ids: [...ids].sort() });
        expect(key.seal(opened, nonce)).toEqual(sealed);
      }),
    );
  });

  it("ids are the start of the spool's digest; duplicates collapse; order does not matter", () => {
    const bundle = randomBytes(1500);
    expect(receiptIdOf(bundle)).toMatch(/^[0-9a-f]{16}$/);
    const [a, b] = someIds(2) as [string, string];
    const opened = openReceipt(key.seal({ timeMs: 5, ids: [b, a, b] }), teams);
    expect(opened.ids).toEqual([a, b].sort());
  });

  it("every single bit flipped in a receipt is refused with a typed code, never opened", () => {
    const receipt = key.seal({ timeMs: 1_700_000_000_000, ids: someIds(5) });
    const seen = new Set<string>();
    for (let bit = 0; bit < receipt.length * 8; bit++) {
      const copy = receipt.slice();
      copy[bit >> 3]! ^= 1 << (bit & 7);
      const code = codeOf(() => openReceipt(copy, teams));
      expect(code, `bit ${bit}`).toMatch(/^RECEIPT_(MALFORMED|VERSION|UNKNOWN_TEAM|AUTH)$/);
      seen.add(code!);
    }
    expect([...seen].sort()).toEqual(["RECEIPT_AUTH", "RECEIPT_MALFORMED", "RECEIPT_UNKNOWN_TEAM", "RECEIPT_VERSION"]);
  });

  it("refuses every cut and extension of a receipt before trying a key", () => {
    const receipt = key.seal({ timeMs: 1, ids: someIds(3) });
    for (let n = 0; n < receipt.length; n++) expect(codeOf(() => openReceipt(receipt.subarray(0, n), teams))).toMatch(/^RECEIPT_(TRUNCATED|MALFORMED)$/);
    expect(codeOf(() => openReceipt(new Uint8Array([...receipt, 0]), teams))).toBe("RECEIPT_MALFORMED");
    expect(codeOf(() => openReceipt(new Uint8Array(MAX_RECEIPT_LENGTH + 1).fill(0x41).fill(0x52, 1, 2).fill(0x43, 2, 3).fill(1, 3, 4), teams))).toBe("RECEIPT_TOO_LARGE");
  });

  it("a key other than the team's neither opens nor names the team; the vault's receipt key differs from the mailbox server's", () => {
    const receipt = key.seal({ timeMs: 1, ids: someIds(2) });
    expect(codeOf(() => openReceipt(receipt, [{ team: "other", key: ReceiptKey.of(TransportKey.generate()) }]))).toBe("RECEIPT_UNKNOWN_TEAM");
    // Whoever holds only the mailbox server key (a server operator) cannot make a receipt the team accepts.
    const serverKey = tk.mailboxServerKey().exportKey();
    const forged = new ReceiptKey(serverKey).seal({ timeMs: 1, ids: someIds(2) });
    expect(codeOf(() => openReceipt(forged, teams))).toBe("RECEIPT_UNKNOWN_TEAM");
    // A receipt of the team opens among several teams' keys, whatever their order.
    const others = Array.from({ length: 3 }, (_, i) => ({ team: `o${i}`, key: ReceiptKey.of(TransportKey.generate()) }));
    expect(openReceipt(receipt, [...others, ...teams]).team).toBe("t");
  });

  it("hostile arguments are caller errors (TypeError/RangeError), not receipts", () => {
    for (const ids of [[], someIds(MAX_RECEIPT_IDS + 1)]) expect(() => key.seal({ timeMs: 1, ids })).toThrow(RangeError);
    for (const bad of ["ABCDEF0123456789", "0123", "zz23456789abcdef", 5 as unknown as string]) expect(() => key.seal({ timeMs: 1, ids: [bad] })).toThrow(TypeError);
    for (const timeMs of [-1, Number.NaN, 2 ** 53, 1.5]) expect(() => key.seal({ timeMs, ids: someIds(1) })).toThrow(RangeError);
    expect(() => key.seal({ timeMs: 1, ids: someIds(1) }, new Uint8Array(15))).toThrow(RangeError);
    expect(() => new ReceiptKey(new Uint8Array(31))).toThrow(TypeError);
    expect(() => openReceipt("ARC" as unknown as Uint8Array, teams)).toThrow(TypeError);
  });

  it("a receipt starts like no bundle; a bundle starts like no receipt", () => {
    expect(looksLikeReceipt(key.seal({ timeMs: 1, ids: someIds(1) }))).toBe(true);
    expect(looksLikeReceipt(new TextEncoder().encode("AIRLOCK\x01"))).toBe(false);
  });
});

describe("receipt as a QR code", () => {
  it("up to 8 ids fit an 80x24 terminal; the largest shown as one code fits 80 columns", () => {
    const of = (n: number) => receiptSymbol(key.seal({ timeMs: 1, ids: someIds(n) }));
    expect(of(4)).toMatchObject({ version: 5, level: "L", columns: 41 });
    expect(of(8)).toMatchObject({ version: 6, columns: 45 }); // 23 rows
    expect(of(16)).toMatchObject({ version: 9, columns: 57 });
    expect(of(MAX_QR_RECEIPT_IDS).columns).toBeLessThanOrEqual(80);
    expect(() => of(MAX_RECEIPT_IDS)).toThrow(RangeError);
  });

  it("the terminal rendering scans back to the receipt", () => {
    const receipt = key.seal({ timeMs: 7, ids: someIds(8) });
    const text = renderReceiptTerminal(receiptSymbol(receipt));
    expect(text.split("\n").filter((l) => l !== "")).toHaveLength(23);
    const frame = scanQrPixels(terminalToImage(text, 4));
    expect(frame).toBeInstanceOf(Uint8Array);
    const decoder = new FountainDecoder();
    decoder.receive(frame as Uint8Array);
    expect(decoder.message).toEqual(receipt); // one frame is the whole transfer
  });

  it("a PNG of it is read by readSources like any QR image, as the receipt's bytes", async () => {
    const receipt = key.seal({ timeMs: 9, ids: someIds(3) });
    const png = join(root, "receipt.png");
    writeFileSync(png, renderReceiptPng(receiptSymbol(receipt)));
    const events = [];
    for await (const e of readSources([png], { maxBundleBytes: 1 << 20, boxes: ["outbox"], program: "test" })) events.push(e);
    expect(events).toEqual([expect.objectContaining({ type: "bundle", bytes: receipt })]);
  });
});

describe("receipts on a stick", () => {
  const collect = async (stick: string): Promise<ReceiptFileEvent[]> => {
    const out: ReceiptFileEvent[] = [];
    for await (const e of readReceiptFiles(stick)) out.push(e);
    return out;
  };

  it("written whole under a fresh name, read back, removed only while it is the file that was read", async () => {
    const stick = join(root, "stick");
    mkdirSync(join(stick, "airlock"), { recursive: true });
    expect(await collect(stick)).toEqual([]); // no receipts folder yet
    const receipt = key.seal({ timeMs: 3, ids: someIds(2) });
    const path = await writeReceiptFile(stick, receipt);
    expect(path).toMatch(/airlock\/receipts\/[a-z2-7]{26}\.receipt$/);
    const [event] = await collect(stick);
    expect(event).toMatchObject({ type: "receipt", file: { path, bytes: receipt } });
    if (event?.type !== "receipt") throw new Error("no receipt read");
    expect(await removeReceiptFile(event.file)).toBe(true);
    expect(readdirSync(receiptsFolderOf(stick))).toEqual([]);
    expect(await removeReceiptFile(event.file)).toBe(false); // gone already
  });

  it("a receipt file swapped for another after it was read is left in place (USB_CHANGED)", async () => {
    const stick = join(root, "swapped");
    mkdirSync(join(stick, "airlock"), { recursive: true });
    const path = await writeReceiptFile(stick, key.seal({ timeMs: 3, ids: someIds(1) }));
    const [event] = await collect(stick);
    if (event?.type !== "receipt") throw new Error("no receipt read");
    // Made while the read one still exists, so it is another inode for sure, then renamed over it.
    const other = key.seal({ timeMs: 4, ids: someIds(1) });
    writeFileSync(join(root, "swap"), other);
    renameSync(join(root, "swap"), path);
    await expect(removeReceiptFile(event.file)).rejects.toMatchObject({ code: "USB_CHANGED" });
    expect(new Uint8Array(readFileSync(path))).toEqual(other);
  });

  it("a hostile receipts folder: links, folders, strange names and oversize files are reported, never read", async () => {
    const stick = join(root, "hostile");
    const dir = receiptsFolderOf(stick);
    mkdirSync(dir, { recursive: true });
    const name = (c: string): string => `${c.repeat(26)}.receipt`;
    writeFileSync(join(root, "secret"), "not for the courier");
    symlinkSync(join(root, "secret"), join(dir, name("a")));
    mkdirSync(join(dir, name("b")));
    writeFileSync(join(dir, name("c")), new Uint8Array(MAX_RECEIPT_LENGTH + 1));
    writeFileSync(join(dir, "notes.txt"), "x");
    writeFileSync(join(dir, ".tmp-aaaaaaaaaaaaaaaaaaaaaaaaaa.partial"), "half");
    writeFileSync(join(dir, "._aaaaaaaaaaaaaaaaaaaaaaaaaa.receipt"), "macOS"); // a hidden file, not a bad name
    const good = key.seal({ timeMs: 3, ids: someIds(1) });
    writeFileSync(join(dir, name("d")), good);
    // Modification times d > c > b > a: read newest first.
    for (const [c, t] of [["b", 2000], ["c", 3000], ["d", 4000]] as const) utimesSync(join(dir, name(c)), t, t);
    lutimesSync(join(dir, name("a")), 1000, 1000);
    const events = await collect(stick);
    expect(events.map((e) => (e.type === "issue" ? e.code : "receipt"))).toEqual(["USB_HIDDEN_FILE", "USB_BAD_NAME", "receipt", "USB_TOO_LARGE", "USB_NOT_A_FILE", "USB_SYMLINK"]);
    // The receipts folder itself as a link is refused outright.
    const linked = join(root, "linked");
    mkdirSync(join(linked, "airlock"), { recursive: true });
    symlinkSync(dir, join(linked, "airlock", "receipts"));
    await expect(collect(linked)).rejects.toMatchObject({ code: "USB_SYMLINK" });
    await expect(writeReceiptFile(linked, good)).rejects.toMatchObject({ code: "USB_SYMLINK" });
  });

  it("receipts left on the stick for another courier never starve a new one: the newest MAX_RECEIPT_FILES are read, first", async () => {
    const stick = join(root, "crowded");
    mkdirSync(join(stick, "airlock"), { recursive: true });
    const stale = key.seal({ timeMs: 1, ids: someIds(1) });
    for (let i = 0; i < MAX_RECEIPT_FILES + 20; i++) utimesSync(await writeReceiptFile(stick, stale), 1000 + i, 1000 + i);
    const fresh = await writeReceiptFile(stick, key.seal({ timeMs: 2, ids: someIds(1) }));
    const events = await collect(stick);
    expect(events).toHaveLength(MAX_RECEIPT_FILES);
    expect(events[0]).toMatchObject({ type: "receipt", file: { path: fresh } });
    expect(events.every((e) => e.type === "receipt")).toBe(true);
  });
});
