import * as kdbxweb from "kdbxweb";
import { describe, expect, it } from "vitest";
import { parseTotp } from "../totp.js";
import { importSecrets } from "./index.js";
import { failure, settle, utf8 } from "./test-helpers.js";

const { ValueType } = kdbxweb.VarDictionary;
const PASSWORD = "correct horse";

/** A KDBX 4 file written by kdbxweb itself, with Argon2id cut down to 64 KiB and one pass. */
async function makeDb(build: (db: kdbxweb.Kdbx) => void): Promise<Uint8Array> {
  const db = kdbxweb.Kdbx.create(new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString(PASSWORD)), "Team");
  db.setKdf(kdbxweb.Consts.KdfId.Argon2id);
  const p = db.header.kdfParameters!;
  p.set("M", ValueType.UInt64, kdbxweb.Int64.from(64 * 1024));
  p.set("I", ValueType.UInt64, kdbxweb.Int64.from(1));
  p.set("P", ValueType.UInt32, 1);
  build(db);
  return new Uint8Array(await db.save());
}

/**
 * The file with one UInt64 KDF parameter rewritten in its header, as a hostile file would claim
 * it: the VarDictionary entry is type 0x05, key length 1, the key, value length 8, the value.
 */
function withKdfParam(bytes: Uint8Array, key: "M" | "I", value: bigint): Uint8Array {
  const out = bytes.slice();
  const marker = [0x05, 1, 0, 0, 0, key.charCodeAt(0), 8, 0, 0, 0];
  const at = out.findIndex((_, i) => marker.every((b, j) => out[i + j] === b));
  expect(at).toBeGreaterThan(0);
  new DataView(out.buffer, out.byteOffset).setBigUint64(at + marker.length, value, true);
  return out;
}

function entry(db: kdbxweb.Kdbx, group: kdbxweb.KdbxGroup, fields: Record<string, string | kdbxweb.ProtectedValue>, tags: string[] = []): void {
  const e = db.createEntry(group);
  for (const [k, v] of Object.entries(fields)) e.fields.set(k, v);
  e.tags = tags;
}

const secret = (s: string): kdbxweb.ProtectedValue => kdbxweb.ProtectedValue.fromString(s);

describe("KDBX", () => {
  it("maps entries, groups, tags, extra URLs, protected fields and all three TOTP encodings", async () => {
    const bytes = await makeDb((db) => {
      const root = db.getDefaultGroup();
      entry(
        db,
        root,
        {
          Title: "GitHub",
          UserName: "ana",
          Password: secret("correct horse battery staple"),
          URL: "https://github.com/login",
          Notes: "recovery codes in the safe",
          otp: secret("otpauth://totp/GitHub:ana?secret=JBSWY3DPEHPK3PXP&period=30&digits=6&issuer=GitHub"),
          PIN: secret("4321"),
          Team: "infra",
          KP2A_URL: "https://github.com",
          KP2A_URL_1: "https://gist.github.com",
        },
        ["dev"],
      );
      const work = db.createGroup(db.createGroup(root, "Email"), "Work");
      entry(db, work, { Title: "Mail", UserName: "ana", Password: secret("pw"), "TOTP Seed": secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "TOTP Settings": "60;8" });
      entry(db, work, { Title: "VPN", otp: secret("key=JBSWY3DPEHPK3PXP&size=8&step=30&otpHashMode=SHA256") });
      db.createRecycleBin();
      const bin = db.getGroup(db.meta.recycleBinUuid!)!;
      entry(db, bin, { Title: "Deleted", Password: secret("gone") });
    });
    const items = await importSecrets(bytes, "kdbx", { password: utf8(PASSWORD) });
    expect(items).toEqual([
      {
        title: "GitHub",
        username: "ana",
        password: "correct horse battery staple",
        urls: ["https://github.com/login", "https://github.com", "https://gist.github.com"],
        notes: "recovery codes in the safe",
        totp: "otpauth://totp/GitHub:ana?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA1&digits=6&period=30",
        tags: ["dev"],
        fields: [
          { name: "PIN", value: "4321", hidden: true },
          { name: "Team", value: "infra", hidden: false },
        ],
      },
      {
        title: "Mail",
        username: "ana",
        password: "pw",
        urls: [],
        totp: "otpauth://totp/Mail?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=8&period=60",
        tags: ["Email/Work"],
        fields: [],
      },
      { title: "VPN", urls: [], totp: "otpauth://totp/VPN?secret=JBSWY3DPEHPK3PXP&algorithm=SHA256&digits=8&period=30", tags: ["Email/Work"], fields: [] },
    ]);
    expect(items[2]!.totp).toBe(parseTotp(items[2]!.totp!));
  });

  it("tells a wrong or missing password apart from a damaged file", async () => {
    const bytes = await makeDb((db) => entry(db, db.getDefaultGroup(), { Title: "x" }));
    const wrong = failure(await settle(() => importSecrets(bytes, "kdbx", { password: utf8("wrong") })));
    expect([wrong.partial, wrong.code]).toEqual([undefined, "SECRETS_IMPORT_PASSWORD"]);
    expect(failure(await settle(() => importSecrets(bytes, "kdbx"))).code).toBe("SECRETS_IMPORT_PASSWORD");
    const garbage = failure(await settle(() => importSecrets(utf8("not a database at all"), "kdbx", { password: utf8(PASSWORD) })));
    expect([garbage.code, garbage.message]).toEqual(["SECRETS_IMPORT_MALFORMED", "the KeePass database: is not a KeePass database (no KDBX signature)"]);
    for (const cut of [12, bytes.length >> 1, bytes.length - 1]) {
      const truncated = failure(await settle(() => importSecrets(bytes.subarray(0, cut), "kdbx", { password: utf8(PASSWORD) })));
      expect(truncated.partial).toBeUndefined();
      expect(truncated.code, `cut at ${cut}: ${truncated.message}`).toBe("SECRETS_IMPORT_MALFORMED");
    }
    const flipped = bytes.slice();
    flipped[flipped.length - 40]! ^= 1;
    const f = failure(await settle(() => importSecrets(flipped, "kdbx", { password: utf8(PASSWORD) })));
    expect(["SECRETS_IMPORT_MALFORMED", "SECRETS_IMPORT_PASSWORD"]).toContain(f.code);
  });

  it("refuses a header asking for more key derivation than an import may spend, before running it", async () => {
    const bytes = await makeDb((db) => entry(db, db.getDefaultGroup(), { Title: "x" }));
    const hostile: [Uint8Array, RegExp][] = [
      [withKdfParam(bytes, "M", 4n * 1024n ** 3n), /asks Argon2 for 4194304 KiB of memory/],
      [withKdfParam(bytes, "I", 1_000_000n), /asks Argon2 for 1000000 passes/],
      [withKdfParam(withKdfParam(bytes, "M", 512n * 1024n ** 2n), "I", 50n), /more work than an import is allowed/],
    ];
    for (const [file, pattern] of hostile) {
      const f = failure(await settle(() => importSecrets(file, "kdbx", { password: utf8(PASSWORD) })));
      expect(f.code, f.message).toBe("SECRETS_IMPORT_MALFORMED");
      expect(f.message).toMatch(pattern);
    }
  });

  it("refuses a Steam or broken TOTP, naming the entry and group", async () => {
    const steam = await makeDb((db) => entry(db, db.createGroup(db.getDefaultGroup(), "Games"), { Title: "Steam", "TOTP Seed": "JBSWY3DPEHPK3PXP", "TOTP Settings": "30;S" }));
    const f = failure(await settle(() => importSecrets(steam, "kdbx", { password: utf8(PASSWORD) })));
    expect([f.code, f.message]).toEqual(["SECRETS_IMPORT_MALFORMED", 'the KeePass database, entry 1 "Steam" in group "Games": TOTP Settings: Steam Guard codes are not supported']);
    const weak = await makeDb((db) => entry(db, db.getDefaultGroup(), { Title: "Weak", otp: "otpauth://totp/x?secret=JBSWY3DP" }));
    expect(failure(await settle(() => importSecrets(weak, "kdbx", { password: utf8(PASSWORD) }))).message).toMatch(/entry 1 "Weak": otp: the TOTP secret is 40 bits/);
  });
});
