import { Zip, ZipDeflate, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { IMPORT_LIMITS, importSecrets } from "./index.js";
import { readExportData } from "./onepux.js";
import { failure, fixture, settle, utf8 } from "./test-helpers.js";

const ATTRIBUTES = utf8(JSON.stringify({ version: 3, description: "1Password Unencrypted Export", createdAt: 1700000200 }));
const pux = (data: Uint8Array, extra: Record<string, Uint8Array> = {}): Uint8Array =>
  zipSync({ "export.attributes": ATTRIBUTES, "export.data": data, ...extra }, { level: 6 });

const bad = async (bytes: Uint8Array, pattern: RegExp): Promise<void> => {
  const f = failure(await settle(() => importSecrets(bytes, "1pux")));
  expect(f.partial).toBeUndefined();
  expect(f.code, f.message).toBe("SECRETS_IMPORT_MALFORMED");
  expect(f.message).toMatch(pattern);
};

describe("1Password 1PUX", () => {
  it("maps the export fixture: login fields, URLs, tags, sections, TOTP, Password and card items", async () => {
    const items = await importSecrets(pux(fixture("1pux-export.data.json"), { "files/photo.png": new Uint8Array(1000) }), "1pux");
    expect(items).toHaveLength(4);
    expect(items[0]).toEqual({
      title: "GitHub",
      username: "ana@example.org",
      password: "correct horse battery staple",
      urls: ["https://github.com/login", "https://github.com"],
      notes: "recovery codes in the safe",
      totp: "otpauth://totp/GitHub:ana?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA1&digits=6&period=30",
      tags: ["work", "dev"],
      fields: [
        { name: "remember", value: "✓", hidden: false },
        { name: "Recovery: PIN", value: "4321", hidden: true },
        { name: "Recovery: Security question", value: "first pet", hidden: false },
      ],
    });
    expect(items[1]).toEqual({ title: "Router admin", password: "Tr0ub4dor&3", urls: [], tags: [], fields: [] });
    expect(items[2]).toEqual({ title: "Wi-Fi at the office", notes: "SSID: airlock\nKey: in the drawer", urls: [], tags: ["office"], fields: [] });
    expect(items[3]!.fields).toEqual([
      { name: "cardholder name", value: "Ana Example", hidden: false },
      { name: "type", value: "visa", hidden: false },
      { name: "number", value: "4111111111111111", hidden: true },
      { name: "verification number", value: "123", hidden: true },
      { name: "expiry date", value: "2030-04", hidden: false },
      { name: "valid from", value: "2023-11-14", hidden: false },
      { name: "Contact Information: address", value: "1 Main St, Lisbon, 1000-001, pt", hidden: false },
      { name: "Contact Information: email", value: "bank@example.org", hidden: false },
    ]);
  });

  it("refuses what is not a 1PUX, a truncated zip and damaged export.data, naming the item and field", async () => {
    const data = JSON.parse(new TextDecoder().decode(fixture("1pux-export.data.json"))) as {
      accounts: { vaults: { items: { details: { sections: { fields: { value: unknown }[] }[] } }[] }[] }[];
    };
    await bad(utf8("PK but not really a zip"), /has no export.data/);
    await bad(zipSync({ "export.attributes": ATTRIBUTES }), /has no export.data/);
    const whole = pux(fixture("1pux-export.data.json"));
    await bad(whole.subarray(0, whole.length >> 1), /ends inside export.data|has no export.data|not a readable zip|damaged/);
    await bad(pux(utf8('{"accounts": [')), /export.data: is not valid JSON/);
    data.accounts[0]!.vaults[0]!.items[0]!.details.sections[0]!.fields[0]!.value = { totp: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=10" };
    await bad(pux(utf8(JSON.stringify(data))), /item 1 "GitHub": details.sections\[0\].fields\[0\].value.totp: TOTP digits 10 is outside 6-8/);
    data.accounts[0]!.vaults[0]!.items[0]!.details.sections[0]!.fields[0]!.value = { string: 42 };
    await bad(pux(utf8(JSON.stringify(data))), /item 1 "GitHub": details.sections\[0\].fields\[0\].value.string is a number, not text/);
  });

  it("refuses a zip bomb: a declared size over the bound, and inflation past it", async () => {
    // Declared: the local header claims an export.data of ~4 GiB.
    const small = pux(utf8("{}"));
    const declared = small.slice();
    const view = new DataView(declared.buffer);
    for (let at = 0; at + 30 < declared.length; at++) {
      if (view.getUint32(at, true) === 0x04034b50 && new TextDecoder().decode(declared.subarray(at + 30, at + 41)) === "export.data") {
        view.setUint32(at + 22, 0xfffffff0, true);
      }
    }
    await bad(declared, /declares a export.data of 4294967280 bytes/);

    // Streamed: sizes only in a trailing data descriptor, 2 MiB of zeros behind ~2 KiB, read with
    // a 1 MiB bound (the import's own bound is 64 MiB; inflating that much in a test costs a second).
    expect(IMPORT_LIMITS.onepuxDataBytes).toBe(64 * 1024 * 1024);
    const parts: Uint8Array[] = [];
    const zip = new Zip((err, chunk) => {
      if (err) throw err;
      parts.push(chunk);
    });
    const file = new ZipDeflate("export.data", { level: 1 });
    zip.add(file);
    const zeros = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 2; i++) file.push(zeros);
    file.push(new Uint8Array(0), true);
    zip.end();
    const bomb = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (bomb.set(p, at), at + p.length), 0);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(() => readExportData(bomb, 1024 * 1024)).toThrow(/inflates export.data past 1048576 bytes/);
    expect(readExportData(bomb, 2 * 1024 * 1024)).toHaveLength(2 * 1024 * 1024);
  });
});
