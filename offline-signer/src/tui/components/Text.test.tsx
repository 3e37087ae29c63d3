/** The TUI's Text escapes what it is given, and it is the only Text the screens use. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Text } from "./Text.js";

afterEach(cleanup);

describe("Text", () => {
  it("escapes string children as one line, and keeps a block's newlines", () => {
    const line = render(<Text bold>a{"\x1b[8mhidden"}{3}<Text color="red">{"\u202eevil"}</Text>{"x\ny"}</Text>);
    for (const raw of ["\x1b", "\u202e", "\n"]) expect(line.lastFrame()).not.toContain(raw);
    expect(line.lastFrame()).toContain("a\\x1b[8mhidden3\\u202eevilx\\ny");
    const block = render(<Text block>{"one\ntwo\x07"}</Text>);
    expect(block.lastFrame()).toBe("one\ntwo\\x07");
  });

  it("is the only Text the TUI's screens and components import", () => {
    const tui = join(dirname(fileURLToPath(import.meta.url)), "..");
    const files = readdirSync(tui, { recursive: true, encoding: "utf8" }).filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f));
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => {
      const source = readFileSync(join(tui, f), "utf8");
      return relative(tui, join(tui, f)) !== join("components", "Text.tsx") && /import\s*\{[^}]*\bText\b[^}]*\}\s*from\s*"ink"/.test(source);
    });
    expect(offenders).toEqual([]);
  });
});
