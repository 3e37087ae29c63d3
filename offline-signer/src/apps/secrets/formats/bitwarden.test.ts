import { describe, expect, it } from "vitest";
import { parseTotp } from "../totp.js";
import { importSecrets } from "./index.js";
import { failure, fixture, settle, utf8 } from "./test-helpers.js";

const bad = async (bytes: Uint8Array, format: "bitwarden-json" | "bitwarden-csv", code: string, pattern: RegExp): Promise<void> => {
  const f = failure(await settle(() => importSecrets(bytes, format)));
  expect(f.partial, "nothing partial").toBeUndefined();
  expect(f.code, f.message).toBe(code);
  expect(f.message).toMatch(pattern);
};

const HEADER = "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp";

describe("Bitwarden JSON", () => {
  it("maps the personal export fixture", async () => {
    const items = await importSecrets(fixture("bitwarden.json"), "bitwarden-json");
    expect(items.map((i) => i.title)).toEqual(["GitHub", "Mail server", "Wi-Fi at the office", "Team card", "Ana's passport"]);
    expect(items[0]).toEqual({
      title: "GitHub",
      username: "ana@example.org",
      password: "correct horse battery staple",
      notes: "recovery codes in the safe",
      totp: "otpauth://totp/GitHub:ana?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA1&digits=6&period=30",
      urls: ["https://github.com/login", "https://github.com"],
      tags: ["Work"],
      fields: [
        { name: "PIN", value: "4321", hidden: true },
        { name: "Team", value: "infra", hidden: false },
        { name: "Admin", value: "true", hidden: false },
      ],
    });
    // A bare secret (spaced, lower case) becomes a canonical URI labelled with the item's name.
    expect(items[1]!.totp).toBe(parseTotp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", { label: "Mail server" }));
    expect(items[2]).toEqual({ title: "Wi-Fi at the office", notes: "SSID: airlock\nKey: in the drawer", urls: [], tags: ["Personal/Finance"], fields: [] });
    expect(items[3]!.fields).toEqual([
      { name: "Cardholder name", value: "Ana Example", hidden: false },
      { name: "Brand", value: "Visa", hidden: false },
      { name: "Number", value: "4111111111111111", hidden: true },
      { name: "Expiry month", value: "4", hidden: false },
      { name: "Expiry year", value: "2030", hidden: false },
      { name: "Security code", value: "123", hidden: true },
    ]);
    expect(items[4]!.fields).toContainEqual({ name: "Passport number", value: "P1234567", hidden: true });
  });

  it("maps an organization export's collections to tags", async () => {
    const [item] = await importSecrets(fixture("bitwarden-org.json"), "bitwarden-json");
    expect(item!.tags).toEqual(["Field team", "Finance"]);
    expect(item!.totp).toBe("otpauth://totp/Bank:treasury?secret=KRUGS4ZANFZSAYJAORSXG5DTMVRXEZLU&algorithm=SHA256&digits=8&period=60");
  });

  it("refuses encrypted exports, truncated JSON and wrong types, naming the item and field", async () => {
    const good = new TextDecoder().decode(fixture("bitwarden.json"));
    const doc = JSON.parse(good) as { items: Record<string, unknown>[] };
    const variant = (f: (d: typeof doc) => void): Uint8Array => {
      const d = structuredClone(doc);
      f(d);
      return utf8(JSON.stringify(d));
    };
    await bad(utf8('{"encrypted":true,"passwordProtected":true,"data":"2.x"}'), "bitwarden-json", "SECRETS_IMPORT_UNSUPPORTED", /encrypted/);
    await bad(utf8(good.slice(0, good.length / 2)), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /not valid JSON/);
    await bad(utf8("[]"), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /not a Bitwarden export/);
    await bad(utf8('{"items":{}}'), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /no items list/);
    await bad(new Uint8Array([0x7b, 0xff, 0x7d]), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /not UTF-8/);
    await bad(variant((d) => (d.items[1]!["login"] = { password: 42 })), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /^item 2 "Mail server": login.password is a number, not text$/);
    await bad(variant((d) => (d.items[3]!["type"] = 9)), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /item 4 "Team card": type is not a Bitwarden item type/);
    await bad(variant((d) => (d.items[0]!["fields"] = [{ name: "x", value: "y", type: 1 }, "oops"])), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /item 1 "GitHub": fields\[1\] is a string, not an object/);
    await bad(variant((d) => (d.items[0]!["folderId"] = "nope")), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /item 1 "GitHub": folderId names no folder/);
    await bad(variant((d) => (d.items[2]!["notes"] = "a\u0000b")), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /item 3 "Wi-Fi at the office": notes holds the control character U\+0000/);
    await bad(variant((d) => (d.items[4] = 7 as never)), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /^item 5: is a number, not an object$/);
    await bad(variant((d) => ((d.items[0]!["login"] as Record<string, unknown>)["totp"] = "steam://JBSWY3DPEHPK3PXP")), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /item 1 "GitHub": login.totp: Steam Guard/);
    await bad(variant((d) => (d.items[0]!["name"] = "\u001b[2J")), "bitwarden-json", "SECRETS_IMPORT_MALFORMED", /item 1 "\\x1b\[2J": title holds the control character U\+001B/);
  });
});

describe("Bitwarden CSV", () => {
  it("maps the personal export fixture", async () => {
    const items = await importSecrets(fixture("bitwarden.csv"), "bitwarden-csv");
    expect(items).toHaveLength(4);
    expect(items[0]).toEqual({
      title: "GitHub",
      username: "ana@example.org",
      password: "correct horse battery staple",
      notes: "recovery codes in the safe",
      totp: "otpauth://totp/GitHub:ana?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA1&digits=6&period=30",
      urls: ["https://github.com/login", "https://github.com"],
      tags: ["Work"],
      fields: [
        { name: "PIN", value: "4321", hidden: false },
        { name: "Team", value: "infra", hidden: false },
      ],
    });
    expect(items[2]).toEqual({ title: "Wi-Fi at the office", notes: "SSID: airlock\nKey: in the drawer", urls: [], tags: ["Personal/Finance"], fields: [] });
    expect(items[3]).toMatchObject({ title: 'He said "hi"', notes: "multi\nline\nnotes", password: 'p,w"x', tags: ["Quotes, commas"] });
    expect(items[3]!.fields).toEqual([{ name: "Question", value: "first pet: Rex", hidden: false }]);
  });

  it("reads organization exports (collections column)", async () => {
    const csv = 'collections,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n"Field team,Finance",login,Bank,,,0,https://bank.example,u,p,\n';
    const [item] = await importSecrets(utf8(csv), "bitwarden-csv");
    expect(item!.tags).toEqual(["Field team", "Finance"]);
  });

  it("refuses missing and extra columns, ragged rows, NUL, huge cells and bad types, naming the line", async () => {
    await bad(utf8(""), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /empty/);
    await bad(utf8("folder,type,name\nx,login,y\n"), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line 1: lacks the column "notes"/);
    await bad(utf8(`${HEADER},extra\n`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line 1: has the unknown column "extra"/);
    await bad(utf8(`${HEADER},name\n`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line 1: repeats the column "name"/);
    await bad(utf8(`${HEADER}\n,,login,a,,,,,,,\n,,login,b,,,,,,,,\n`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line 3: has a different number of columns/);
    await bad(utf8(`${HEADER}\n,,login,a,,,,,,\n`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line 2: has a different number of columns/);
    await bad(utf8(`${HEADER}\n,,login,a,,,,,,pass\u0000word,\n`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line 2: password holds the control character U\+0000/);
    await bad(utf8(`${HEADER}\n,,login,a,"${"x".repeat(10 * 1024 * 1024)}",,,,,,\n`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line 2: is longer than 2097152 characters/);
    await bad(utf8(`${HEADER}\n,,login,a,,,,,,,\n,,card,b,,,,,,,\n`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line 3: type is neither "login" nor "note"/);
    await bad(utf8(`${HEADER}\n,,login,a,"unclosed,,,,,,\n`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line \d+: opens a quote that is never closed/);
    await bad(utf8(`${HEADER}\n,,login,a,,"lonely line",,,,,\n`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line 2: fields: a line is not "name: value"/);
    await bad(utf8(`${HEADER}\n,,login,a,,,,,,,JBSWY3DP\n`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /line 2: login_totp: the TOTP secret is 40 bits/);
  });

  it("bounds the item count before mapping any item", async () => {
    const rows = ",,note,n,,,,,,,\n".repeat(50_001);
    await bad(utf8(`${HEADER}\n${rows}`), "bitwarden-csv", "SECRETS_IMPORT_MALFORMED", /more than 50000 items/);
  });
});
