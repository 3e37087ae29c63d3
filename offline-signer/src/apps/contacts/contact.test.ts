/** The Contact boundary: every hostile shape is a typed error naming the field; labels and the set encoding round-trip. */
import fc from "fast-check";
import { runs } from "../../../../vitest-properties.js";
import { describe, expect, it } from "vitest";
import {
  checkContact,
  CONTACT_LIMITS,
  decodeLabeled,
  encodeLabeled,
  labelProblem,
  LABELED_SEPARATOR,
  normalizeLabel,
  utf8Length,
  type Contact,
} from "./contact.js";

const base: Contact = { name: "Ngozi Okafor", organisations: [], phones: [], emails: [], messengers: [], addresses: [] };

function badContact(patch: Record<string, unknown>, field: RegExp): void {
  const c = { ...base, ...patch } as unknown as Contact;
  expect(() => checkContact(c, "import card 7")).toThrow(
    expect.objectContaining({ code: "CONTACTS_BAD_CONTACT", message: expect.stringMatching(new RegExp(`^import card 7: ${field.source}`)) }),
  );
}

describe("checkContact", () => {
  it("accepts a full contact and returns it", () => {
    const full: Contact = {
      ...base,
      given: "Ngozi",
      family: "Okafor",
      organisations: ["MSF"],
      phones: [{ label: "cell", value: "+234 803 555 0142" }],
      emails: [{ label: "", value: "n@example.org" }],
      messengers: [{ label: "signal", value: "+234 803 555 0142" }],
      addresses: [{ label: "home", value: "12 Adeola Odeku St, Lagos" }],
      notes: "line one\nline two",
      sensitivity: "secret",
      uid: "urn:uuid:1",
      name: "A\u0000B\u0007", // control characters in a name are data
    };
    expect(checkContact(full, "x")).toBe(full);
  });

  it("refuses each hostile value with the field it is in", () => {
    const many = Array.from({ length: CONTACT_LIMITS.valuesPerField + 1 }, (_, i) => ({ label: "", value: `+1 ${i}` }));
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: "" }, /name is empty/],
      [{ name: "n".repeat(513) }, /name is 513 bytes, more than 512/],
      [{ name: "é".repeat(257) }, /name is 514 bytes/],
      [{ name: 42 }, /name is not a string/],
      [{ name: undefined }, /name is not a string/],
      [{ name: "\ud800x" }, /name is not valid Unicode/],
      [{ name: "a\r\nb" }, /name contains a carriage return/],
      [{ given: "" }, /given is empty/],
      [{ family: ["Okafor"] }, /family is not a string/],
      [{ organisations: "MSF" }, /organisations is not a list/],
      [{ organisations: [""] }, /organisations\[0\] is empty/],
      [{ phones: many }, /phones has 65 values, more than 64/],
      [{ phones: [null] }, /phones\[0\] is not a labelled value/],
      [{ phones: [{ label: "Cell", value: "1" }] }, /phones\[0\].label is not in canonical form/],
      [{ emails: [{ label: "work\u001f", value: "a@b" }] }, /emails\[0\].label is not in canonical form/],
      [{ emails: [{ label: " work", value: "a@b" }] }, /emails\[0\].label is not in canonical form/],
      [{ emails: [{ label: "w".repeat(65), value: "a@b" }] }, /emails\[0\].label is 65 bytes, more than 64/],
      [{ messengers: [{ label: "signal", value: "" }] }, /messengers\[0\].value is empty/],
      [{ messengers: [{ label: "signal", value: "v".repeat(2049) }] }, /messengers\[0\].value is 2049 bytes, more than 2048/],
      [{ messengers: [{ label: "signal" }] }, /messengers\[0\].value is not a string/],
      [{ addresses: [{ label: "home", value: "1 Main St\nTown" }] }, /addresses\[0\].value spans more than one line/],
      [{ notes: "" }, /notes is empty/],
      [{ notes: "n".repeat(64 * 1024 + 1) }, /notes is 65537 bytes, more than 65536/],
      [{ sensitivity: "top-secret" }, /sensitivity is not one of normal, sensitive, secret/],
      [{ uid: "" }, /uid is empty/],
    ];
    for (const [patch, field] of cases) badContact(patch, field);
    expect(() => checkContact(null as unknown as Contact, "import card 7")).toThrow(expect.objectContaining({ code: "CONTACTS_BAD_CONTACT" }));
  });
});

describe("labels", () => {
  it("normalizeLabel lowercases, drops controls, collapses spaces, trims and cuts at 64 bytes on a character boundary", () => {
    expect(normalizeLabel("  Work\tFAX \u0000 ")).toBe("work fax");
    expect(normalizeLabel("😀".repeat(20))).toBe("😀".repeat(16));
    expect(normalizeLabel("")).toBe("");
  });

  it("normalizeLabel is idempotent and its output always passes labelProblem", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 80 }), (raw) => {
        const once = normalizeLabel(raw);
        expect(normalizeLabel(once)).toBe(once);
        expect(labelProblem(once)).toBeUndefined();
      }),
      { numRuns: runs(300) },
    );
  });

  it("utf8Length matches TextEncoder for well-formed text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (s) => {
        expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
      }),
      { numRuns: runs(200) },
    );
  });
});

describe("encodeLabeled / decodeLabeled", () => {
  it("round-trips any canonical label with any value, the separator inside a value included", () => {
    const value = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 40 })
      .chain((s) => fc.constantFrom(s, `${s}${LABELED_SEPARATOR}${s}`, `${LABELED_SEPARATOR}${s}`));
    const label = fc.string({ unit: "grapheme", maxLength: 20 }).map(normalizeLabel);
    fc.assert(
      fc.property(label, value, (l, v) => {
        const encoded = encodeLabeled({ label: l, value: v });
        expect(decodeLabeled(encoded)).toStrictEqual({ label: l, value: v });
      }),
      { numRuns: runs(300) },
    );
  });

  it("is stable and unambiguous: label and value boundaries cannot be confused", () => {
    expect(encodeLabeled({ label: "cell", value: "+1 555" })).toBe(`cell${LABELED_SEPARATOR}+1 555`);
    expect(encodeLabeled({ label: "", value: `a${LABELED_SEPARATOR}b` })).not.toBe(encodeLabeled({ label: "a", value: "b" }));
  });

  it("refuses a label holding the separator or not canonical, and malformed stored strings", () => {
    const bad = expect.objectContaining({ code: "CONTACTS_BAD_CONTACT" });
    expect(() => encodeLabeled({ label: `cell${LABELED_SEPARATOR}x`, value: "1" })).toThrow(bad);
    expect(() => encodeLabeled({ label: "Cell", value: "1" })).toThrow(bad);
    expect(() => encodeLabeled({ label: "cell", value: "" })).toThrow(bad);
    expect(() => decodeLabeled("no separator here")).toThrow(bad);
    expect(() => decodeLabeled(`Cell${LABELED_SEPARATOR}1`)).toThrow(bad);
    expect(() => decodeLabeled(`cell${LABELED_SEPARATOR}`)).toThrow(bad);
    expect(() => decodeLabeled(42 as unknown as string)).toThrow(bad);
  });
});
