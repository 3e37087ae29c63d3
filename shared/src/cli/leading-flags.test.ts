import { describe, expect, it } from "vitest";
import { hoistLeadingFlags } from "./leading-flags.js";

const G = { valued: ["home", "passphrase-file"], booleans: ["json"] };

describe("hoistLeadingFlags", () => {
  it.each([
    [["--home", "h", "status"], ["status", "--home", "h"]],
    [["--home=h", "--json", "notes", "list", "--collection", "c"], ["notes", "list", "--home=h", "--json", "--collection", "c"]],
    [["--json", "notes", "add", "--", "--home"], ["notes", "add", "--json", "--", "--home"]],
    [["--passphrase-file", "p", "--home", "h", "import", "/media/stick"], ["import", "/media/stick", "--passphrase-file", "p", "--home", "h"]],
  ])("moves leading global flags after the command: %j", (argv, want) => {
    expect(hoistLeadingFlags(argv, G)).toEqual(want);
  });

  it.each([
    [["status", "--home", "h"]],
    [["--home", "h"]], // no command: plain `airlock --home h` opens the TUI
    [["--home"]], // value missing: oclif reports it
    [["--version"]],
    [["--help", "status"]],
    [["--home", "h", "--title", "x", "notes"]], // a command flag first: left for oclif to judge
    [["--json=1", "status"]],
    [[]],
  ])("leaves anything else as it is: %j", (argv) => {
    expect(hoistLeadingFlags(argv, G)).toEqual(argv);
  });
});
