/**
 * What the mutation run of the USB reader (`npm run mutate -- usb`, docs/testing.md, "Mutation
 * testing") found unguarded in the name checks: `.` reported as the folder reference it is (not
 * as a hidden file; a listing never yields it, but classifyName is exported), and where a long
 * name's display is cut.
 */
import { describe, expect, it } from "vitest";
import { classifyName, displayName } from "./names.js";

describe("names", () => {
  it("reports a backslash as a path separator, and . and .. as references, not as hidden files", () => {
    for (const name of ["a\\b.airlock", ".", ".."]) {
      expect(classifyName(name), name).toEqual({ kind: "rejected", code: "USB_BAD_NAME", reason: "name contains a path separator or is a parent reference" });
    }
  });

  it("displays a name of up to 80 characters whole, and cuts a longer one to 80 and an ellipsis", () => {
    expect(displayName("x".repeat(80))).toBe("x".repeat(80));
    expect(displayName("x".repeat(81))).toBe(`${"x".repeat(80)}…`);
    expect(displayName(`${"x".repeat(79)}\\`)).toBe(`${"x".repeat(79)}\\…`); // the escape itself is cut
  });
});
