import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base32, classifyName, displayName, isBundleName, isTempName, newBundleName, newTempName } from "./names.js";

const VALID = "abcdefghijklmnopqrstuvwxyz.airlock"; // 26 characters of the alphabet
const RANDOM = "a2b3c4d5e6f7g2h3i4j5k6l7mn";

describe("bundle names", () => {
  it("encodes RFC 4648 base32 in lowercase without padding", () => {
    const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(base32(ascii(""))).toBe("");
    expect(base32(ascii("f"))).toBe("my");
    expect(base32(ascii("fo"))).toBe("mzxq");
    expect(base32(ascii("foo"))).toBe("mzxw6");
    expect(base32(ascii("foob"))).toBe("mzxw6yq");
    expect(base32(ascii("fooba"))).toBe("mzxw6ytb");
    expect(base32(ascii("foobar"))).toBe("mzxw6ytboi");
    expect(base32(new Uint8Array(16).fill(0xff))).toBe("7".repeat(25) + "4");
  });

  it("makes fresh names that the reader accepts, and temp names it skips", () => {
    const names = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const name = newBundleName();
      expect(name).toMatch(/^[a-z2-7]{26}\.airlock$/);
      expect(classifyName(name)).toEqual({ kind: "bundle" });
      names.add(name);
      const temp = newTempName();
      expect(temp).toMatch(/^\.tmp-[a-z2-7]{26}\.partial$/);
      expect(classifyName(temp)).toEqual({ kind: "temp" });
    }
    expect(names.size).toBe(200);
  });

  it.each([
    ["../x.airlock", "USB_BAD_NAME", /path separator/],
    [`../${VALID}`, "USB_BAD_NAME", /path separator/],
    [`..\\${VALID}`, "USB_BAD_NAME", /path separator/],
    [`sub/${VALID}`, "USB_BAD_NAME", /path separator/],
    ["..", "USB_BAD_NAME", /parent/],
    ["", "USB_BAD_NAME", /empty/],
    [`${RANDOM.slice(1)}\n.airlock`, "USB_BAD_NAME", /control/],
    [`\u001b[31m${RANDOM.slice(5)}.airlock`, "USB_BAD_NAME", /control/],
    [`${RANDOM.slice(1)}\u0000.airlock`, "USB_BAD_NAME", /control/],
    [`${RANDOM.slice(1)}\u202e.airlock`, "USB_BAD_NAME", /formatting/],
    [`${RANDOM.slice(1)}\ufffd.airlock`, "USB_BAD_NAME", /UTF-8/],
    [`${"a".repeat(200)}.airlock`, "USB_BAD_NAME", /longer/],
    [`${RANDOM}.airlock.txt`, "USB_BAD_NAME", /longer/],
    [`${RANDOM.slice(5)}.bundle`, "USB_BAD_NAME", /end in \.airlock/],
    [`${RANDOM.toUpperCase()}.airlock`, "USB_BAD_NAME", /not a bundle name/],
    [`${RANDOM.slice(1)}1.airlock`, "USB_BAD_NAME", /not a bundle name/], // 1 is not base32
    ["x.airlock", "USB_BAD_NAME", /not a bundle name/],
    [`${RANDOM}.AIRLOCK`, "USB_BAD_NAME", /end in \.airlock/],
    [`.${VALID}`, "USB_HIDDEN_FILE", /hidden/],
    [`._${VALID}`, "USB_HIDDEN_FILE", /hidden/],
    [".DS_Store", "USB_HIDDEN_FILE", /hidden/],
    [`.tmp-${RANDOM}.partial.x`, "USB_HIDDEN_FILE", /hidden/],
  ])("rejects %j as %s", (name, code, reason) => {
    const verdict = classifyName(name);
    expect(verdict.kind).toBe("rejected");
    if (verdict.kind !== "rejected") return;
    expect(verdict.code).toBe(code);
    expect(verdict.reason).toMatch(reason);
  });

  it("accepts exactly the pattern, for any string", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "grapheme", maxLength: 60, size: "max" }), fc.string({ unit: "binary", maxLength: 60, size: "max" }), fc.constant(VALID)), (name) => {
        const verdict = classifyName(name);
        expect(verdict.kind === "bundle").toBe(/^[a-z2-7]{26}\.airlock$/.test(name));
        expect(isBundleName(name)).toBe(verdict.kind === "bundle");
        expect(isTempName(name)).toBe(verdict.kind === "temp");
      }),
    );
  });

  it("displays hostile names without control characters, shortened", () => {
    expect(displayName("a\nb\u001b[0m\\c\u202e")).toBe("a\\u{a}b\\u{1b}[0m\\\\c\\u{202e}");
    expect(displayName("x".repeat(500)).length).toBeLessThanOrEqual(81);
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300, size: "max" }), (name) => {
        // eslint-disable-next-line no-control-regex -- asserting their absence
        expect(displayName(name)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u);
      }),
    );
  });
});
