/** Unknown commands and oclif's parse errors as the contract's USAGE errors, on a small command table. */
import { describe, expect, it } from "vitest";
import { AirlockError } from "../errors.js";
import type { CommandTable, TableFlag } from "./command-table.js";
import { commandWords, resolveWords, unknownCommandError, usageFromParseError } from "./usage.js";

const flag = (name: string, extra: Partial<TableFlag> = {}): TableFlag => ({ name, type: "option", ...extra });
const base = { home: flag("home"), json: flag("json", { type: "boolean" }) };
const TABLE: CommandTable = {
  bin: "demo",
  topics: [{ name: "notes", description: "Notes: add, list" }, { name: "members", description: "People" }],
  commands: [
    { id: "init", summary: "Create a team", flags: { ...base, team: flag("team"), name: flag("name") } },
    { id: "import", summary: "Import bundles", flags: { ...base, "dry-run": flag("dry-run", { type: "boolean" }), remove: flag("remove", { type: "boolean" }) } },
    { id: "export", summary: "Export bundles", flags: { ...base, usb: flag("usb"), qr: flag("qr") } },
    { id: "notes:add", summary: "Add a note", flags: { ...base, title: flag("title"), body: flag("body") } },
    { id: "notes:list", summary: "List notes", flags: base },
    { id: "members:add", summary: "Admit someone", flags: { ...base, role: flag("role", { options: ["viewer", "editor", "admin", "owner"] }) } },
    { id: "secret", hidden: true, summary: "hidden", flags: base },
  ],
};

describe("resolveWords", () => {
  it("finds commands (with their arguments), topics, and nothing", () => {
    expect(resolveWords(TABLE, ["notes", "add"])).toEqual({ kind: "command", id: "notes:add", rest: [] });
    expect(resolveWords(TABLE, ["import", "a", "b"])).toEqual({ kind: "command", id: "import", rest: ["a", "b"] });
    expect(resolveWords(TABLE, ["notes"])).toEqual({ kind: "topic", id: "notes", rest: [] });
    expect(resolveWords(TABLE, [])).toEqual({ kind: "topic", id: "", rest: [] });
    expect(resolveWords(TABLE, ["secret"]).kind).toBe("unknown");
  });
});

describe("unknownCommandError", () => {
  const table: [words: string[], message: string, hint: string][] = [
    [["notes", "ad"], 'no command "notes ad"', 'did you mean "demo notes add"?'],
    [["notes", "ad", "x", "y"], 'no command "notes ad"', 'did you mean "demo notes add"?'],
    [["ntoes", "ad"], 'no command "ntoes"', 'did you mean "demo notes add"?'],
    [["ntoes"], 'no command "ntoes"', 'did you mean "demo notes"?'],
    [["improt", "stick"], 'no command "improt"', 'did you mean "demo import"?'],
    [["members", "rm"], 'no command "members rm"', "the members commands are add (demo help members)"],
    [["fly"], 'no command "fly"', "see demo help for the commands"],
    [["xport"], 'no command "xport"', 'did you mean "demo export"?'],
  ];
  it.each(table)("%j", (words, message, hint) => {
    const e = unknownCommandError(TABLE, words);
    expect(e).toBeInstanceOf(AirlockError);
    expect(e).toMatchObject({ code: "USAGE", message, hint });
  });

  it("quotes at most 200 characters of what was typed", () => {
    expect(unknownCommandError(TABLE, ["z".repeat(10_000)]).message.length).toBeLessThan(220);
  });
});

describe("commandWords", () => {
  it("stops at the first flag", () => {
    expect(commandWords(["notes", "ad", "--title", "x"])).toEqual(["notes", "ad"]);
    expect(commandWords(["--json"])).toEqual([]);
  });
});

/** oclif's errors as its parser throws them (only the fields the translation reads). */
const oclifError = (message: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(message), { parse: {}, ...extra });

describe("usageFromParseError", () => {
  const importCmd = TABLE.commands.find((c) => c.id === "import")!;
  const membersAdd = TABLE.commands.find((c) => c.id === "members:add")!;
  it("names an unknown flag and the nearest one", () => {
    const e = usageFromParseError("demo", importCmd, oclifError("Nonexistent flag: --dry\nSee more help with --help", { flags: ["--dry"] }));
    expect(e).toMatchObject({ code: "USAGE", message: 'unknown flag --dry for "demo import"', hint: 'did you mean "--dry-run"? (see demo import --help)' });
    const far = usageFromParseError("demo", importCmd, oclifError("Nonexistent flags: --zzz, --yyy", { flags: ["--zzz", "--yyy"] }));
    expect(far).toMatchObject({ message: 'unknown flags --zzz, --yyy for "demo import"', hint: "see demo import --help" });
  });

  it("names a missing argument by its name", () => {
    const e = usageFromParseError("demo", membersAdd, oclifError("Missing 1 required arg:\nrequest  the request file\nSee more help with --help", { args: [{ name: "request", description: "the request file" }] }));
    expect(e).toMatchObject({ message: '"demo members add" needs REQUEST', hint: "see demo members add --help" });
  });

  it("makes one line of a missing flag, a bad option value and a value that does not parse", () => {
    expect(usageFromParseError("demo", membersAdd, oclifError("The following error occurred:\n  \x1b[2mMissing required flag role\x1b[22m\nSee more help with --help")).message).toBe("missing required flag --role");
    expect(usageFromParseError("demo", membersAdd, oclifError("Expected --role=boss to be one of: viewer, editor, admin, owner\nSee more help with --help")).message).toBe(
      "Expected --role=boss to be one of: viewer, editor, admin, owner",
    );
    expect(usageFromParseError("demo", importCmd, new Error("Parsing --retries \n\tExpected an integer but received: abc\nSee more help with --help")).message).toBe(
      "--retries: Expected an integer but received: abc",
    );
  });

  it("keeps the hint of an AirlockError a flag's own parser threw", () => {
    const e = usageFromParseError("demo", importCmd, new AirlockError("X_BAD", "Parsing --every \n\tsoon is not a duration", { hint: "write 15m" }));
    expect(e).toMatchObject({ code: "USAGE", message: "--every: soon is not a duration", hint: "write 15m" });
  });
});
