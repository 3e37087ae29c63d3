/** The escaper against a table of hostile values, an exhaustive sweep of the BMP, and JSON round trips. */
import { describe, expect, it } from "vitest";
import { escapeBlock, escapeChar, escapeLine, firstUnsafe, hasUnsafeText, quoted, safe, safeJson } from "./escape.js";

/** What a terminal (or a reader's eye) acts on, listed by hand: independent of the implementation's categories. */
function terminalActive(cp: number): boolean {
  return (
    cp <= 0x1f ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0xad ||
    cp === 0x61c ||
    (cp >= 0x200b && cp <= 0x200f && cp !== 0x200c && cp !== 0x200d) ||
    (cp >= 0x2028 && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x2064) ||
    (cp >= 0x2066 && cp <= 0x206f) ||
    cp === 0xfeff ||
    (cp >= 0xfff9 && cp <= 0xfffb) ||
    (cp >= 0xd800 && cp <= 0xdfff) ||
    (cp >= 0xe0000 && cp <= 0xe007f)
  );
}

/** Code units, not code points, so a lone surrogate is seen as one. */
function activeIn(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    if (terminalActive(cp)) found.push(escapeChar(String.fromCodePoint(cp)));
  }
  return found;
}

const HOSTILE: readonly { name: string; value: string; line: string }[] = [
  { name: "clear screen (CSI 2J)", value: "Plan\x1b[2J\x1b[H", line: "Plan\\x1b[2J\\x1b[H" },
  { name: "hidden text (CSI 8m) after a fake fingerprint", value: "bob as editor. Fingerprint: abcd-efgh-ijkl-mnop\x1b[8m", line: "bob as editor. Fingerprint: abcd-efgh-ijkl-mnop\\x1b[8m" },
  { name: "clipboard write (OSC 52, BEL-terminated)", value: "\x1b]52;c;cm0gLXJmIH4=\x07", line: "\\x1b]52;c;cm0gLXJmIH4=\\x07" },
  { name: "window title (OSC 0, ST-terminated)", value: "\x1b]0;owned\x1b\\", line: "\\x1b]0;owned\\x1b\\" },
  { name: "bell", value: "ding\x07", line: "ding\\x07" },
  { name: "backspace overprinting", value: "alice\b\b\b\b\bmallory", line: "alice\\x08\\x08\\x08\\x08\\x08mallory" },
  { name: "carriage return overprinting", value: "approved\rrejected", line: "approved\\rrejected" },
  { name: "newline starting a fake line", value: "note\nFingerprint: aaaa-bbbb", line: "note\\nFingerprint: aaaa-bbbb" },
  { name: "tab", value: "a\tb", line: "a\\tb" },
  { name: "NUL and DEL", value: "\0x\x7f", line: "\\x00x\\x7f" },
  { name: "C1 CSI (U+009B) and NEL (U+0085)", value: "\u009b2J\u0085", line: "\\x9b2J\\x85" },
  { name: "right-to-left override", value: "invoice\u202egpj.exe", line: "invoice\\u202egpj.exe" },
  { name: "bidi isolates", value: "\u2066a\u2067b\u2068c\u2069", line: "\\u2066a\\u2067b\\u2068c\\u2069" },
  { name: "zero-width space, LRM, RLM", value: "al\u200bi\u200ec\u200fe", line: "al\\u200bi\\u200ec\\u200fe" },
  { name: "line and paragraph separators", value: "a\u2028b\u2029c", line: "a\\u2028b\\u2029c" },
  { name: "BOM and soft hyphen", value: "\ufeffal\u00adice", line: "\\ufeffal\\xadice" },
  { name: "tag characters (invisible ASCII)", value: "hi\u{e0041}\u{e0042}", line: "hi\\u{e0041}\\u{e0042}" },
  { name: "lone high surrogate", value: "a\ud800b", line: "a\\ud800b" },
  { name: "lone low surrogate at the end", value: "a\udc00", line: "a\\udc00" },
];

describe("escapeLine", () => {
  it.each(HOSTILE)("renders $name visibly, with nothing a terminal acts on left", ({ value, line }) => {
    const out = escapeLine(value);
    expect(out).toBe(line);
    expect(activeIn(out)).toEqual([]);
    expect(escapeLine(out)).toBe(out);
    expect(hasUnsafeText(value)).toBe(true);
  });

  it("leaves ordinary text of every script alone, emoji and joiners included", () => {
    for (const ok of ["alice", "Field office", "José Ñúñez", "Ελένη", "Сергей", "محمد", "דוד", "李小龙", "می‌خواهم", "👩‍💻 on call", "«quoted» — ok", "C:\\path\\x1b"]) {
      expect(escapeLine(ok)).toBe(ok);
    }
  });

  it("escapes every terminal-active code point of the BMP, and only into printable ASCII", () => {
    for (let cp = 0; cp <= 0xffff; cp++) {
      const ch = String.fromCharCode(cp);
      const out = escapeLine(ch);
      if (terminalActive(cp)) {
        expect(out, `U+${cp.toString(16)}`).toMatch(/^\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt])$/);
      } else if (out !== ch) {
        // Format characters this hand list does not name (Arabic number signs, ...) may be escaped too; never anything else.
        expect(out, `U+${cp.toString(16)}`).toMatch(/^\\u[0-9a-f]{4}$/);
        expect(ch).toMatch(/\p{Cf}/u);
      }
    }
  });

  it("keeps a well-formed surrogate pair as one character", () => {
    expect(escapeLine("\ud83d\ude00")).toBe("😀");
  });
});

describe("escapeBlock", () => {
  it("keeps newlines and tabs of a body, and escapes everything else a line would", () => {
    expect(escapeBlock("line one\n\tline two\r\n\x1b[2J\u202e")).toBe("line one\n\tline two\\r\n\\x1b[2J\\u202e");
    for (const { value } of HOSTILE) expect(activeIn(escapeBlock(value)).filter((c) => c !== "\\n" && c !== "\\t")).toEqual([]);
  });
});

describe("hasUnsafeText and firstUnsafe (the rule for names)", () => {
  it("refuses joiners, newlines and tabs in names, which output shows as they are", () => {
    for (const bad of ["al\u200dice", "al\u200cice", "bob\n", "bob\tx", "\u202ebob"]) expect(hasUnsafeText(bad), JSON.stringify(bad)).toBe(true);
    for (const good of ["alice", "José", "محمد", "bob as editor. Fingerprint: abcd-efgh", "O'Brien \"Bo\""]) expect(hasUnsafeText(good)).toBe(false);
  });

  it("names the first offending character", () => {
    expect(firstUnsafe("bob\x1b[8m")).toBe("\\x1b");
    expect(firstUnsafe("x\u202e")).toBe("\\u202e");
    expect(firstUnsafe("fine")).toBeUndefined();
  });
});

describe("safe and quoted", () => {
  it("escape every interpolated value as one line and keep the template's own text", () => {
    const name = "bob\nFingerprint: aaaa-bbbb\x1b[8m";
    expect(safe`Added ${name} as ${"editor"} (${3} devices)\n`).toBe("Added bob\\nFingerprint: aaaa-bbbb\\x1b[8m as editor (3 devices)\n");
  });

  it("quote a value so its end is unambiguous", () => {
    expect(quoted('bob" as owner\x1b[8m')).toBe('"bob\\" as owner\\x1b[8m"');
  });
});

describe("safeJson", () => {
  it("round-trips every hostile value exactly, and leaves nothing a terminal acts on", () => {
    const value = { ok: true, names: HOSTILE.map((h) => h.value), nested: { title: "\u009b\u202e\u2028\ufeff\u{e0041}\x7f" } };
    const text = safeJson(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(activeIn(text)).toEqual([]);
    expect(text).toContain("\\u009b\\u202e\\u2028\\ufeff\\udb40\\udc41\\u007f");
  });

  it("is JSON.stringify for ordinary values", () => {
    const value = { a: "José 李 👩‍💻", n: 1.5, list: [null, false] };
    expect(safeJson(value)).toBe(JSON.stringify(value).replace("\u200d", "\\u200d"));
  });
});
