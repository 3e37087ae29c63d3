/**
 * Contact -> vCard 4.0 / 3.0 -> Contact is the identity for every valid contact, including
 * non-ASCII, the characters vCard escapes, newlines, control characters and lines long enough to
 * fold; and what we write is well-formed: CRLF only, at most 75 octets a line, each line valid UTF-8.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { runs } from "../../../../vitest-properties.js";
import { describe, expect, it } from "vitest";
import { CONTACT_LIMITS, fieldProblem, normalizeLabel, SENSITIVITIES, type Contact, type Labeled } from "./contact.js";
import { parseVcards, readVcards, serializeVcards } from "./vcard.js";

const RUNS = Number(process.env.AIRLOCK_PROPERTY_RUNS ?? runs(50));

// Pieces chosen for what breaks vCard writers: separators, escapes, folding, multi-byte and
// astral characters, controls, and text that looks like vCard structure or encodings.
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 10 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      ",", ";", "\\", "\n", ":", '"', "^", "^n", "=", "=0D=0A", " ", "\t", "é", "张伟", "😀", "İ", "\u0000", "\u0007",
      "\u001f", "\u007f", "\u0085", "\u200b", "\u2028", "\\n", "\\,", "END:VCARD", "BEGIN:VCARD", "tel:", "x-apple:",
      "_$!<Mobile>!$_", "item1.", "QUOTED-PRINTABLE",
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 60, maxLength: 120 }) },
);
const text = fc.array(piece, { minLength: 1, maxLength: 12 }).map((parts) => parts.join("").replace(/\r/g, "\n"));
const field = (maxBytes: number): fc.Arbitrary<string> => text.filter((s) => fieldProblem(s, maxBytes) === undefined);

const label = fc.oneof(
  fc.constantFrom("", "cell", "work", "home", "work fax", "fax home", "iphone cell", "signal", "voice", "internet", "pref"),
  text.map(normalizeLabel),
);
const labeled = (oneLine: boolean): fc.Arbitrary<Labeled> =>
  fc.record({ label, value: field(CONTACT_LIMITS.valueBytes).map((v) => (oneLine ? v.replace(/\n/g, " ") : v)) });
const messengerValue = fc.oneof(
  fc.constantFrom("xmpp:kofi@jabber.example", "https://matrix.to/#/@a:b.example", "signal:+4915155500112", "skype:a.b", "x-apple:handle", "+49 151 5550"),
  field(CONTACT_LIMITS.valueBytes),
);
const values = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.array(arb, { maxLength: 4 });

const contactArb: fc.Arbitrary<Contact> = fc.record(
  {
    name: field(CONTACT_LIMITS.nameBytes),
    given: field(CONTACT_LIMITS.nameBytes),
    family: field(CONTACT_LIMITS.nameBytes),
    organisations: values(field(CONTACT_LIMITS.valueBytes)),
    phones: values(labeled(false)),
    emails: values(labeled(false)),
    messengers: values(fc.record({ label, value: messengerValue })),
    addresses: values(labeled(true)),
    notes: field(CONTACT_LIMITS.notesBytes),
    sensitivity: fc.constantFrom(...SENSITIVITIES),
    uid: field(CONTACT_LIMITS.uidBytes),
  },
  { requiredKeys: ["name", "organisations", "phones", "emails", "messengers", "addresses"] },
).map((c) => structuredClone(c)); // fast-check's records have no prototype; the parser's do

function physicalLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) {
      lines.push(bytes.subarray(start, i));
      start = i + 2;
      i++;
    }
  }
  if (start !== bytes.length) throw new Error("output does not end with CRLF");
  return lines;
}

function decodes(decoder: InstanceType<typeof TextDecoder>, bytes: Uint8Array): boolean {
  try {
    decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe("vCard round trip", () => {
  for (const version of ["4.0", "3.0"] as const) {
    it(`Contact -> ${version} -> Contact is the identity; output is CRLF-only, folded at 75 octets, never inside a UTF-8 sequence`, () => {
      const strict = new TextDecoder("utf-8", { fatal: true });
      fc.assert(
        fc.property(fc.array(contactArb, { minLength: 1, maxLength: 3 }), (contacts) => {
          const bytes = serializeVcards(contacts, version);
          // Plain checks per line; expect() on thousands of lines would be most of the test's time.
          const bad = physicalLines(bytes).filter((line) => line.length > 75 || line.includes(0x0d) || line.includes(0x0a) || !decodes(strict, line));
          expect(bad).toEqual([]);
          expect(parseVcards(bytes)).toStrictEqual(contacts);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("writes the escapes RFC 6350 §3.4 names and folds long lines with one space", () => {
    const contact: Contact = {
      name: "Okafor, Ngozi; Dr.\\PhD\nLagos",
      organisations: ["Médecins Sans Frontières, Field Logistics"],
      phones: [{ label: "cell", value: "+234 803 555 0142" }],
      emails: [{ label: "signal desk", value: "desk@example.org" }],
      messengers: [{ label: "signal", value: "+234 803 555 0142" }],
      addresses: [{ label: "home", value: "12 Adeola Odeku St, Apt 4B, Lagos" }],
      notes: "ü".repeat(50),
    };
    const text = new TextDecoder().decode(serializeVcards([contact], "4.0"));
    expect(text).toContain("FN:Okafor\\, Ngozi; Dr.\\\\PhD\\nLagos\r\n");
    expect(new TextDecoder().decode(serializeVcards([contact], "3.0"))).toContain("FN:Okafor\\, Ngozi\\; Dr.\\\\PhD\\nLagos\r\n");
    expect(text).toContain("TEL;TYPE=cell:+234 803 555 0142\r\n");
    expect(text).toContain("item1.EMAIL:desk@example.org\r\nitem1.X-ABLabel:signal desk\r\n");
    expect(text).toContain("IMPP;X-SERVICE-TYPE=signal:x-apple:%2B234%20803%20555%200142\r\n");
    expect(text).toContain("ADR;TYPE=home:;;12 Adeola Odeku St\\, Apt 4B\\, Lagos;;;;\r\n");
    // "NOTE:" is 5 octets, each ü 2: 35 of them fill 75, the rest go on a line after CRLF + space.
    expect(text).toContain(`NOTE:${"ü".repeat(35)}\r\n ${"ü".repeat(15)}\r\n`);
    expect(text.startsWith("BEGIN:VCARD\r\nVERSION:4.0\r\n")).toBe(true);
  });

  it("3.0 always writes N (RFC 2426 §3.1.2 requires it); 4.0 only when there is a name part", () => {
    const contact: Contact = { name: "Lagos Legal Aid Clinic", organisations: [], phones: [], emails: [], messengers: [], addresses: [] };
    expect(new TextDecoder().decode(serializeVcards([contact], "3.0"))).toContain("\r\nN:;;;;\r\n");
    expect(new TextDecoder().decode(serializeVcards([contact], "4.0"))).not.toContain("\r\nN:");
  });

  it("every fixture read, written as 4.0 and 3.0 and read again gives the same contacts", () => {
    for (const file of ["apple-contacts-3.0.vcf", "google-contacts-3.0.vcf", "android-2.1.vcf", "outlook-2.1.vcf", "thunderbird-4.0.vcf", "nextcloud-4.0.vcf", "missing-fn.vcf"]) {
      // The cards left out (no name) are not contacts, so they are not written either.
      const first = readVcards(readFileSync(new URL(`./fixtures/${file}`, import.meta.url))).contacts;
      for (const version of ["4.0", "3.0"] as const) {
        expect(parseVcards(serializeVcards(first, version)), `${file} via ${version}`).toStrictEqual(first);
      }
    }
  });

  it("refuses to write a contact that fails checkContact, and a version it does not write", () => {
    const bad = { name: "", organisations: [], phones: [], emails: [], messengers: [], addresses: [] };
    expect(() => serializeVcards([bad])).toThrow(expect.objectContaining({ code: "CONTACTS_BAD_CONTACT" }));
    expect(() => serializeVcards([], "2.1" as "3.0")).toThrow(RangeError);
  });
});
