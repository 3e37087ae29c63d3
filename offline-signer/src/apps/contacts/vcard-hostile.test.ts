/**
 * Hostile and broken files: each gives a typed error naming where, never the data found there,
 * and nothing partial — parseVcards either returns every card or throws.
 */
import { readFileSync } from "node:fs";
import { isAirlockError } from "@airlock/shared";
import fc from "fast-check";
import { runs } from "../../../../vitest-properties.js";
import { describe, expect, it } from "vitest";
import { parseVcards } from "./vcard.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const card = (...lines: string[]): string => ["BEGIN:VCARD", "VERSION:3.0", ...lines, "END:VCARD", ""].join("\r\n");

/** Runs parseVcards expecting a typed error; returns it for further checks. */
function rejects(input: Uint8Array | string, code: string, message: RegExp): Error & { code: string; hint?: string } {
  let result: unknown;
  try {
    result = parseVcards(typeof input === "string" ? utf8(input) : input);
  } catch (e) {
    expect(isAirlockError(e, code), String(e)).toBe(true);
    const err = e as Error & { code: string; hint?: string };
    expect(err.message).toMatch(message);
    expect(err.hint).toBeTruthy();
    return err;
  }
  throw new Error(`expected ${code}, got ${JSON.stringify(result).slice(0, 200)}`);
}

describe("hostile vCard input", () => {
  it("a card without END:VCARD, even after good cards: error at its BEGIN, no contacts", () => {
    const text = card("FN:Good One") + card("FN:Good Two") + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut off\r\n";
    rejects(text, "CONTACTS_IMPORT_MALFORMED", /^vCard card 3, line 9: card has no END:VCARD$/);
  });

  it("100,000 nested BEGINs: refused by the card count before any parsing", () => {
    rejects("BEGIN:VCARD\r\n".repeat(100_000), "CONTACTS_IMPORT_TOO_LARGE", /has more than 20000 cards/);
  });

  it("a few nested BEGINs: the second BEGIN is named", () => {
    rejects("BEGIN:VCARD\r\n".repeat(50), "CONTACTS_IMPORT_MALFORMED", /^vCard card 1, line 2: BEGIN inside a card/);
  });

  it("20,001 cards are refused before any is read", () => {
    rejects(card("FN:x").repeat(20_001), "CONTACTS_IMPORT_TOO_LARGE", /has more than 20000 cards/);
  });

  it("a 20 MB line: refused by the file size before decoding", () => {
    const bytes = new Uint8Array(20 * 1024 * 1024).fill(0x41);
    rejects(bytes, "CONTACTS_IMPORT_TOO_LARGE", /more than 16777216/);
  });

  it("a 15 MB photo is skipped unread; a 1 MB note line is refused at its line", () => {
    const photo = card("FN:Has Photo", `PHOTO;ENCODING=b;TYPE=JPEG:${"A".repeat(15 * 1024 * 1024)}`);
    expect(parseVcards(utf8(photo)).map((c) => c.name)).toEqual(["Has Photo"]);
    rejects(card("FN:Long Note", `NOTE:${"n".repeat(1024 * 1024)}`), "CONTACTS_IMPORT_MALFORMED", /^vCard card 1, line 4, NOTE: line is longer than/);
  });

  it("70,000 quoted-printable soft breaks in one value unfold in linear time, then meet the notes limit", () => {
    const lines = ["BEGIN:VCARD", "VERSION:2.1", "FN:x", "NOTE;ENCODING=QUOTED-PRINTABLE:=41=", ...Array(70_000).fill("=41="), "=41", "END:VCARD", ""];
    rejects(lines.join("\r\n"), "CONTACTS_IMPORT_MALFORMED", /^vCard card 1, line 4, NOTE: value is 70002 bytes, more than 65536$/);
  });

  it("limits of the Contact are errors at the offending line", () => {
    rejects(card("FN:x", `NOTE:${"n".repeat(70_000)}`), "CONTACTS_IMPORT_MALFORMED", /line 4, NOTE: value is 70000 bytes, more than 65536/);
    rejects(card(`FN:${"é".repeat(300)}`), "CONTACTS_IMPORT_MALFORMED", /line 3, FN: value is 600 bytes, more than 512/);
    rejects(card("FN:x", `EMAIL:${"e".repeat(2049)}`), "CONTACTS_IMPORT_MALFORMED", /line 4, EMAIL: value is 2049 bytes/);
    const tels = Array.from({ length: 65 }, (_, i) => `TEL:+1 555 ${i}`);
    rejects(card("FN:x", ...tels), "CONTACTS_IMPORT_MALFORMED", /line 68, TEL: more than 64 phones/);
  });

  it("NUL and other control characters in a name are kept as data", () => {
    const [c] = parseVcards(utf8(card("FN:A\u0000B\u0007C\u001bD\u007f", "N:Fam\u0000;Giv\u0001;;;")));
    expect(c?.name).toBe("A\u0000B\u0007C\u001bD\u007f");
    expect(c?.family).toBe("Fam\u0000");
    expect(c?.given).toBe("Giv\u0001");
  });

  it("NUL bytes where structure belongs are errors that do not quote the line", () => {
    const err = rejects(card("F\u0000N:PLAINTEXT-7f3a"), "CONTACTS_IMPORT_MALFORMED", /line 3: invalid property name/);
    expect(err.message).not.toContain("PLAINTEXT");
    rejects(new Uint8Array(64), "CONTACTS_IMPORT_MALFORMED", /line 1: text outside BEGIN:VCARD/);
  });

  it("malformed lines name card, line and property, never the value", () => {
    const cases: [string, RegExp][] = [
      [card("FN:x", "TEL;TYPE=\"cell:+1 555 PLAINTEXT-7f3a"), /line 4, TEL: parameter value opens a quote/],
      [card("FN:x", "NOTE PLAINTEXT-7f3a"), /line 4: line has no ':' between name and value/],
      [card("FN:x", "TEL;=cell:PLAINTEXT-7f3a"), /line 4, TEL: parameter without a name/],
      [card("FN:x", "TEL;TYPE=\"cell\"x:PLAINTEXT-7f3a"), /line 4, TEL: unexpected character after a parameter value/],
      ["BEGIN:VCARD\r\nVERSION:5.0\r\nFN:PLAINTEXT-7f3a\r\nEND:VCARD\r\n", /card 1, line 2, VERSION: version is not 2.1, 3.0 or 4.0/],
      [card("FN:x", "X-AIRLOCK-SENSITIVITY:PLAINTEXT-7f3a"), /line 4, X-AIRLOCK-SENSITIVITY: value is not one of normal, sensitive, secret/],
      ["FN:PLAINTEXT-7f3a\r\n", /^vCard line 1: text outside BEGIN:VCARD/],
      [" folded PLAINTEXT-7f3a\r\n", /^vCard line 1: continuation line with no line before it/],
      ["END:VCARD\r\n", /^vCard line 1: END:VCARD without a BEGIN:VCARD/],
      ["BEGIN:VCALENDAR\r\nSUMMARY:PLAINTEXT-7f3a\r\nEND:VCALENDAR\r\n", /^vCard line 1: this is not a vCard/],
      [card("FN:x", "BEGIN:VEVENT", "END:VEVENT"), /line 4: BEGIN inside a card/],
      [card("FN:x", "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=x-no-such-set:PLAINTEXT=20x"), /line 4, NOTE: CHARSET names a character set/],
      [card("FN:x", "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:=FF=FEPLAINTEXT-7f3a"), /line 4, NOTE: encoded bytes are not valid/],
      [card("FN:x", "NOTE;ENCODING=X-ROT13:PLAINTEXT-7f3a"), /line 4, NOTE: unknown ENCODING/],
      [card("FN:x", "NOTE;ENCODING=b:!!PLAINTEXT-7f3a!!"), /line 4, NOTE: base64 value has characters outside/],
    ];
    for (const [text, message] of cases) {
      const err = rejects(text, "CONTACTS_IMPORT_MALFORMED", message);
      expect(err.message).not.toContain("PLAINTEXT");
    }
  });

  it("a card with no name (no FN, no N) is named by neither its title nor its phone: CONTACTS_CARD_NO_NAME, not quoting the card", () => {
    const err = rejects(card("TITLE:PLAINTEXT-7f3a", "TEL:+1 555 0100"), "CONTACTS_CARD_NO_NAME", /^vCard card 1, line 1, FN: card has no name: no FN, and no N to take one from$/);
    expect(err.message).not.toContain("PLAINTEXT");
    expect(err.hint).toMatch(/that card alone was left out/);
  });

  it("bytes that are not UTF-8 (a raw Windows-1252 2.1 export) name the first bad line", () => {
    const head = utf8("BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=Windows-1252:Mu");
    const bytes = Buffer.concat([head, Uint8Array.of(0xf1), utf8("oz;Jos\r\nEND:VCARD\r\n")]);
    rejects(bytes, "CONTACTS_IMPORT_MALFORMED", /^vCard line 3: file is not UTF-8 text/);
  });

  it("an empty file is zero contacts; a non-Uint8Array is a TypeError", () => {
    expect(parseVcards(new Uint8Array(0))).toEqual([]);
    expect(() => parseVcards("BEGIN:VCARD" as unknown as Uint8Array)).toThrow(TypeError);
  });

  it("vCard 2.1 AGENT with an embedded card is refused, not half-read", () => {
    const text = ["BEGIN:VCARD", "VERSION:2.1", "FN:Boss", "AGENT:", "BEGIN:VCARD", "VERSION:2.1", "FN:Assistant", "END:VCARD", "END:VCARD", ""].join("\r\n");
    rejects(text, "CONTACTS_IMPORT_MALFORMED", /card 1, line 5: BEGIN inside a card/);
  });

  it("2,000 cards in one file all arrive, in order", () => {
    const text = Array.from({ length: 2000 }, (_, i) =>
      card(`FN:Person ${i}`, `N:Family${i};Given${i};;;`, `TEL;TYPE=cell:+1 555 ${i}`, `EMAIL;TYPE=work:p${i}@example.org`, "ORG:Example\\, Inc."),
    ).join("");
    const contacts = parseVcards(utf8(text));
    expect(contacts).toHaveLength(2000);
    expect(contacts[1999]).toStrictEqual({
      name: "Person 1999",
      given: "Given1999",
      family: "Family1999",
      organisations: ["Example, Inc."],
      phones: [{ label: "cell", value: "+1 555 1999" }],
      emails: [{ label: "work", value: "p1999@example.org" }],
      messengers: [],
      addresses: [],
    });
  });

  it("any corruption of a real export either parses or throws a typed error, never anything else", () => {
    const files = ["apple-contacts-3.0.vcf", "android-2.1.vcf", "outlook-2.1.vcf", "nextcloud-4.0.vcf"].map((f) =>
      readFileSync(new URL(`./fixtures/${f}`, import.meta.url)),
    );
    const edit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() });
    fc.assert(
      fc.property(fc.nat(files.length - 1), fc.array(edit, { minLength: 1, maxLength: 8 }), (which, edits) => {
        let bytes = Uint8Array.from(files[which] as Uint8Array);
        for (const e of edits) {
          const at = e.at % bytes.length;
          if (e.cut) bytes = bytes.subarray(0, at);
          else bytes[at] = e.byte;
          if (bytes.length === 0) break;
        }
        try {
          parseVcards(bytes);
        } catch (err) {
          if (!isAirlockError(err)) throw err;
        }
      }),
      { numRuns: Number(process.env.AIRLOCK_PROPERTY_RUNS ?? runs(150)) },
    );
  });
});
