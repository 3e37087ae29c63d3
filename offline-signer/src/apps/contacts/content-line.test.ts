/**
 * The lexer on its own: 2.1 bare parameters, quoting, RFC 6868, folding and QP soft breaks; and a
 * differential test against ical.js's parser on the 4.0 lines both are meant to read alike, plus
 * the cases where we differ from it on purpose.
 */
import fc from "fast-check";
import { runs } from "../../../../vitest-properties.js";
import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { decodeQuotedPrintable, parseContentLine, readCards, splitEscaped, unescapeText, unfold, type RawCard } from "./content-line.js";

const at = { card: 1, line: 1 };
const params = (line: string, version: "2.1" | "3.0" | "4.0" = "4.0"): Record<string, readonly string[]> =>
  Object.fromEntries(parseContentLine(line, version, at).params);

function cards(text: string): RawCard[] {
  const out: RawCard[] = [];
  readCards(text, (c) => out.push(c));
  return out;
}

describe("parseContentLine", () => {
  it("reads group, name, quoted and listed parameters and leaves the value raw", () => {
    const l = parseContentLine('item1.TEL;type=CELL;TYPE="work,voice";X-LABEL="a;b:c";pref=1:+1\\,555', "3.0", at);
    expect(l.group).toBe("item1");
    expect(l.name).toBe("TEL");
    expect(Object.fromEntries(l.params)).toStrictEqual({ type: ["CELL", "work,voice"], "x-label": ["a;b:c"], pref: ["1"] });
    expect(l.value).toBe("+1\\,555");
  });

  it("sorts vCard 2.1 bare parameters into type, encoding and value", () => {
    expect(params("TEL;CELL;VOICE;PREF:1", "2.1")).toStrictEqual({ type: ["CELL", "VOICE", "PREF"] });
    expect(params("PHOTO;ENCODING=BASE64;JPEG:x", "2.1")).toStrictEqual({ encoding: ["BASE64"], type: ["JPEG"] });
    expect(params("NOTE;QUOTED-PRINTABLE;INLINE:x", "2.1")).toStrictEqual({ encoding: ["QUOTED-PRINTABLE"], value: ["INLINE"] });
  });

  it("decodes RFC 6868 caret escapes in 3.0 and 4.0, not in 2.1", () => {
    expect(params('ADR;LABEL="1 Main St^nTown ^\'Q^\' ^^":;;', "4.0")).toStrictEqual({ label: ['1 Main St\nTown "Q" ^'] });
    expect(params("X-A;X-B=^n:v", "2.1")).toStrictEqual({ "x-b": ["^n"] });
  });

  it("the first ':' outside quotes ends the parameters, later ones belong to the value", () => {
    expect(parseContentLine("URL:https://example.org:8443/x", "4.0", at).value).toBe("https://example.org:8443/x");
    expect(parseContentLine('IMPP;X-SERVICE-TYPE="a:b":xmpp:c@d', "4.0", at).value).toBe("xmpp:c@d");
  });
});

describe("values", () => {
  it("splitEscaped honours escaped separators and escaped backslashes", () => {
    expect(splitEscaped("a\\;b;c", ";")).toStrictEqual(["a\\;b", "c"]);
    expect(splitEscaped("a\\\\;b;c", ";")).toStrictEqual(["a\\\\", "b", "c"]);
    expect(splitEscaped(";;", ";")).toStrictEqual(["", "", ""]);
  });

  it("unescapeText: \\n is a newline in 3.0 and 4.0 but text in 2.1; unknown escapes stay", () => {
    expect(unescapeText("a\\nb\\Nc\\,d\\;e\\\\f\\:g\\xh", "4.0")).toBe("a\nb\nc,d;e\\f:g\\xh");
    expect(unescapeText("C:\\new\\;x", "2.1")).toBe("C:\\new;x");
  });

  it("decodeQuotedPrintable: bytes in the declared charset, stray '=' kept, trailing '=' dropped", () => {
    expect(decodeQuotedPrintable("=E5=BC=A0=20x=", "UTF-8")).toBe("张 x");
    expect(decodeQuotedPrintable("Jos=E9", "windows-1252")).toBe("José");
    expect(decodeQuotedPrintable("a=zz", "UTF-8")).toBe("a=zz");
    expect(decodeQuotedPrintable("=FF", "UTF-8")).toStrictEqual({ problem: "encoded bytes are not valid in the declared CHARSET" });
  });
});

describe("readCards", () => {
  it("unfolds 3.0/4.0 by dropping one whitespace, 2.1 by keeping it; QP soft breaks join without it", () => {
    const [c] = cards("BEGIN:VCARD\r\nNOTE:ab\r\n  cd\r\n\tef\r\nFN;ENCODING=QUOTED-PRINTABLE:=41=\r\n=42\r\nEND:VCARD\r\n");
    const [note, fn] = c?.lines ?? [];
    expect(note && unfold(note, "4.0")).toBe("NOTE:ab cdef");
    expect(note && unfold(note, "2.1")).toBe("NOTE:ab  cd\tef");
    expect(fn && unfold(fn, "3.0")).toBe("FN;ENCODING=QUOTED-PRINTABLE:=41=42");
    expect(fn?.line).toBe(5);
  });

  it("counts lines the same for CRLF, LF and lone CR, and skips blank lines", () => {
    for (const nl of ["\r\n", "\n", "\r"]) {
      const [c] = cards(["BEGIN:VCARD", "", "FN:a", "", "", "NOTE:b", "END:VCARD", ""].join(nl));
      expect(c?.lines.map((l) => l.line)).toStrictEqual([3, 6]);
    }
  });
});

describe("differential against ical.js (4.0 lines both should read alike)", () => {
  const chars = (set: string): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...set), maxLength: 8 });
  const plainParam = chars("abcXYZ019-_./@+é^");
  const quotedParam = chars("abcXYZ019-_./@+é^;:, ");
  // ical.js misplaces the value when a quoted TYPE holds ':' (see below), so TYPE's quotes hold none.
  const quotedType = chars("abcXYZ019-_./@+é^;, ");
  const param = fc.constantFrom("TYPE", "X-SERVICE-TYPE", "LANGUAGE", "PREF", "X-USER").chain((name) =>
    fc.record({
      name: fc.constant(name),
      value: fc.oneof(plainParam, (name === "TYPE" ? quotedType : quotedParam).map((v) => `"${v}"`)),
    }),
  );
  // "\\;" is left out: see "reads 3.0's \\; in 4.0 text" below.
  const escapes = fc.constantFrom("a", "Z", " ", ",", ";", ":", "é", "😀", "=", "^", "\\n", "\\N", "\\,", "\\\\");
  const value = fc.array(escapes, { maxLength: 12 }).map((p) => p.join(""));
  const line = fc.record({
    group: fc.option(fc.constantFrom("item1", "g-2"), { nil: undefined }),
    name: fc.constantFrom("FN", "NOTE", "EMAIL", "TITLE"),
    // ical.js keeps only the last of a repeated non-list parameter; we keep all, so names are unique here.
    params: fc.uniqueArray(param, { maxLength: 4, selector: (p) => p.name }),
    value,
  });

  it("agrees on name, group, parameters and unescaped text value", () => {
    fc.assert(
      fc.property(line, (l) => {
        const text = `${l.group === undefined ? "" : `${l.group}.`}${l.name}${l.params.map((p) => `;${p.name}=${p.value}`).join("")}:${l.value}`;
        const ours = parseContentLine(text, "4.0", at);
        const [name, theirParams, , theirValue] = ICAL.parse.property(text, ICAL.design.vcard) as [string, Record<string, unknown>, string, unknown];
        expect(ours.name.toLowerCase()).toBe(name);
        expect(ours.group).toBe(theirParams.group);
        const { group: _group, ...rest } = theirParams;
        const mine = Object.fromEntries(
          [...ours.params].map(([k, vs]) => [k, k === "type" ? vs.flatMap((v) => v.split(",")) : vs.join(",")]),
        );
        const theirs = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, k === "type" ? [v].flat() : v]));
        expect(mine).toStrictEqual(theirs);
        expect(unescapeText(ours.value, "4.0")).toBe(theirValue);
      }),
      { numRuns: runs(300) },
    );
  });

  it("differs on purpose where ical.js splits at an escaped backslash before a separator", () => {
    const text = "N:Back\\\\;Slash;;;";
    const ours = splitEscaped(parseContentLine(text, "4.0", at).value, ";").map((c) => unescapeText(c, "4.0"));
    expect(ours).toStrictEqual(["Back\\", "Slash", "", "", ""]);
    const [, , , theirs] = ICAL.parse.property(text, ICAL.design.vcard) as [string, unknown, string, unknown];
    expect(theirs).not.toStrictEqual(ours);
  });

  it("reads 3.0's \\; in 4.0 text as ';' (RFC 6350 defines it only in compound values; ical.js keeps the backslash)", () => {
    expect(unescapeText(parseContentLine("FN:A\\;B", "4.0", at).value, "4.0")).toBe("A;B");
    expect(ICAL.parse.property("FN:A\\;B", ICAL.design.vcard)[3]).toBe("A\\;B");
  });

  it("differs where ical.js loses the value after a quoted TYPE holding ':'", () => {
    const text = 'TEL;TYPE="work,:":+1 555';
    expect(parseContentLine(text, "4.0", at).value).toBe("+1 555");
    expect(ICAL.parse.property(text, ICAL.design.vcard)[3]).not.toBe("+1 555");
  });

  it("differs on purpose on 2.1 bare parameters, which ical.js cannot read", () => {
    expect(params("TEL;CELL;VOICE:+1 555", "2.1")).toStrictEqual({ type: ["CELL", "VOICE"] });
    expect(() => ICAL.parse.property("TEL;CELL;VOICE:+1 555", ICAL.design.vcard3)).toThrow();
  });
});
