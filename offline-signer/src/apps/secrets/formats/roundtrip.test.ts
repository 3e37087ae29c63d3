import * as kdbxweb from "kdbxweb";
import { zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import type { SecretItem } from "../item.js";
import { EXPORT_FORMATS, exportSecrets, importSecrets, type ImportFormat } from "./index.js";
import { fixture, utf8 } from "./test-helpers.js";

async function kdbxFile(): Promise<Uint8Array> {
  const db = kdbxweb.Kdbx.create(new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString("pw")), "Team");
  db.setKdf(kdbxweb.Consts.KdfId.Argon2d);
  const p = db.header.kdfParameters!;
  p.set("M", kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(64 * 1024));
  p.set("I", kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(1));
  const add = (title: string, otp: [string, string] | undefined): void => {
    const e = db.createEntry(db.getDefaultGroup());
    e.fields.set("Title", title);
    e.fields.set("Password", kdbxweb.ProtectedValue.fromString(`${title}-pw`));
    if (otp !== undefined) e.fields.set(otp[0], kdbxweb.ProtectedValue.fromString(otp[1]));
  };
  add("uri", ["otp", "otpauth://totp/Site:ana?secret=JBSWY3DPEHPK3PXP&issuer=Site&algorithm=SHA512&digits=7&period=45"]);
  add("legacy", ["TOTP Seed", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"]);
  add("none", undefined);
  return new Uint8Array(await db.save());
}

const sources: [string, ImportFormat, () => Promise<Uint8Array>][] = [
  ["bitwarden.json", "bitwarden-json", async () => fixture("bitwarden.json")],
  ["bitwarden-org.json", "bitwarden-json", async () => fixture("bitwarden-org.json")],
  ["bitwarden.csv", "bitwarden-csv", async () => fixture("bitwarden.csv")],
  ["keepassxc.csv", "keepassxc-csv", async () => fixture("keepassxc.csv")],
  ["kdbx (kdbxweb)", "kdbx", kdbxFile],
  ["1pux", "1pux", async () => zipSync({ "export.data": fixture("1pux-export.data.json") })],
];

const totps = (items: readonly SecretItem[]): (string | undefined)[] => items.map((i) => i.totp);

describe("round trips: import -> export -> import keeps every TOTP", () => {
  for (const [name, format, load] of sources) {
    for (const target of EXPORT_FORMATS) {
      it(`${name} -> ${target}`, async () => {
        const first = await importSecrets(await load(), format, { password: utf8("pw") });
        expect(totps(first).filter((t) => t !== undefined).length).toBeGreaterThan(0);
        const again = await importSecrets(exportSecrets(first, target), target);
        expect(totps(again)).toEqual(totps(first));
        expect(again.map((i) => [i.title, i.username, i.password])).toEqual(first.map((i) => [i.title, i.username, i.password]));
        if (target === "bitwarden-json") {
          // Bitwarden keeps one folder per item: everything but tags after the first survives.
          expect(again).toEqual(first.map((i) => ({ ...i, tags: i.tags.slice(0, 1) })));
        } else {
          // KeePassXC's CSV has no custom fields and one URL.
          expect(again).toEqual(first.map((i) => ({ ...i, tags: i.tags.slice(0, 1), urls: i.urls.slice(0, 1), fields: [] })));
        }
        // A second trip changes nothing more.
        expect(await importSecrets(exportSecrets(again, target), target)).toEqual(again);
      });
    }
  }

  it("refuses to export an item that breaks the limits, writing nothing", () => {
    const bad: SecretItem = { title: "x", totp: "JBSWY3DPEHPK3PXP", urls: [], tags: [], fields: [] };
    expect(() => exportSecrets([bad], "bitwarden-json")).toThrow(/item 1: totp is not in canonical form/);
  });

  it("imports 1,000 Bitwarden items (time printed, not asserted)", async () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({
      type: 1,
      name: `Site ${i}`,
      notes: `notes ${i}`,
      fields: [{ name: "PIN", value: String(i), type: 1 }],
      login: { username: `user${i}`, password: `pw-${i}-${"x".repeat(20)}`, totp: "JBSWY3DPEHPK3PXP", uris: [{ uri: `https://site${i}.example/login` }] },
    }));
    const bytes = utf8(JSON.stringify({ encrypted: false, folders: [], items }));
    const t0 = performance.now();
    const out = await importSecrets(bytes, "bitwarden-json");
    const ms = performance.now() - t0;
    expect(out).toHaveLength(1000);
    console.log(`bitwarden-json: 1000 items (${bytes.length} bytes) imported in ${ms.toFixed(1)} ms`);
  });
});
