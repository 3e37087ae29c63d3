/**
 * Completion scripts from a small command table: bash for real (the script sourced in a child
 * bash, its function driven with COMP_WORDS/COMP_CWORD as bash does on TAB), zsh and fish
 * parsed by their shells where installed, and checked as text everywhere.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { CommandTable, TableFlag } from "./command-table.js";
import { completionScript } from "./completion.js";
import { bashComplete, hasShell as has } from "../../test-support/bash-complete.js";

const flag = (name: string, extra: Partial<TableFlag> = {}): TableFlag => ({ name, type: "option", ...extra });
const base = { home: flag("home", { description: "vault folder" }), json: flag("json", { type: "boolean", description: "print JSON" }) };
const TABLE: CommandTable = {
  bin: "demo-cli",
  topics: [{ name: "notes", description: "Notes: add, list (it's 'quoted' \"twice\"; $(rm -rf /) `x`)" }, { name: "members", description: "People" }],
  commands: [
    { id: "import", summary: "Import bundles", flags: { ...base, "dry-run": flag("dry-run", { type: "boolean" }), remove: flag("remove", { type: "boolean" }) } },
    { id: "notes:add", summary: "Add a note", flags: { ...base, title: flag("title", { char: "t" }) } },
    { id: "notes:list", summary: "List notes", flags: base },
    { id: "members:add", summary: "Admit someone", flags: { ...base, role: flag("role", { options: ["viewer", "editor", "admin", "owner", "$(evil)"] }) } },
    { id: "bad;word", summary: "never in a script", flags: {} },
  ],
};

describe("bash completion", () => {
  const script = completionScript("bash", TABLE);
  const complete = (...line: string[]): string[] => bashComplete(script, "_demo_cli", ["demo-cli", ...line]);

  it("completes commands, topics, subcommands, flags and fixed flag values", () => {
    expect(complete("")).toEqual(["import", "members", "notes"]);
    expect(complete("no")).toEqual(["notes"]);
    expect(complete("notes", "")).toEqual(["add", "list"]);
    expect(complete("notes", "a")).toEqual(["add"]);
    expect(complete("import", "--")).toEqual(["--dry-run", "--home", "--json", "--remove"]);
    expect(complete("import", "--d")).toEqual(["--dry-run"]);
    expect(complete("notes", "add", "--t")).toEqual(["--title"]);
    expect(complete("members", "add", "req.airlock", "--role", "")).toEqual(["viewer", "editor", "admin", "owner"]);
    expect(complete("members", "add", "req.airlock", "--role", "e")).toEqual(["editor"]);
    // Under a command, no word is offered: bash falls back to file names (complete -o default).
    expect(complete("import", "")).toEqual([]);
    expect(complete("zzz", "")).toEqual([]);
  });

  it("puts no word into the script that is not a plain word", () => {
    expect(script).not.toContain("bad;word");
    expect(script).not.toContain("$(evil)");
    expect(script).not.toContain("rm -rf");
  });
});

describe("zsh and fish completion", () => {
  for (const shell of ["zsh", "fish"] as const) {
    it(`${shell}: a script naming every command and flag, quoting descriptions${has(shell) ? `, that ${shell} parses` : ` (${shell} is not installed here: text checks only)`}`, () => {
      const script = completionScript(shell, TABLE);
      for (const word of ["import", "notes", "members", "add", "list", "dry-run", "title", "role", "editor"]) expect(script).toContain(word);
      expect(script).not.toContain("bad;word");
      expect(script).not.toContain("$(evil)");
      if (shell === "zsh") {
        expect(script.startsWith("#compdef demo-cli\n")).toBe(true);
        expect(script).toContain(`'notes:Notes: add, list (it'\\''s '\\''quoted'\\'' "twice"; $(rm -rf /) \`x\`)'`);
      } else {
        expect(script).toContain(`-d 'Notes: add, list (it\\'s \\'quoted\\' "twice"; $(rm -rf /) \`x\`)'`);
        expect(script).toContain("complete -c demo-cli -n '_demo_cli_at \\'members:add\\'' -l role -x -a 'viewer editor admin owner'");
      }
      if (has(shell)) {
        const r = spawnSync(shell, ["-n"], { input: script, encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
      }
    });
  }
});
