/** Typo suggestions against a table of what people mistype, and the distance against a plain reference. */
import { describe, expect, it } from "vitest";
import { editDistance, MAX_SUGGEST_LENGTH, orList, suggest } from "./suggest.js";

/** Full Damerau–Levenshtein's restricted form, written the textbook way (a whole matrix), as the reference. */
function reference(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

const COMMANDS = ["init", "join", "status", "log", "members", "devices", "collections", "approvals", "notes", "secrets", "contacts", "tickets", "attach", "events", "docs", "search", "export", "import", "courier-enroll", "passphrase", "upgrade", "tui", "help", "completion"];
const NOTES = ["add", "edit", "comment", "list", "show", "rm"];
const IMPORT_FLAGS = ["home", "json", "passphrase-file", "dry-run", "remove"];

describe("suggest", () => {
  const table: [typed: string, candidates: readonly string[], expected: string[]][] = [
    ["ad", NOTES, ["add"]], // one letter left out
    ["lsit", NOTES, ["list"]], // two neighbours swapped
    ["shwo", NOTES, ["show"]],
    ["eidt", NOTES, ["edit"]],
    ["comment", NOTES, ["comment"]], // exact
    ["LIST", NOTES, ["list"]], // case is ignored
    ["delete", NOTES, []], // nothing near: no guess
    ["ntoes", COMMANDS, ["notes"]],
    ["statsu", COMMANDS, ["status"]],
    ["improt", COMMANDS, ["import"]],
    ["exprot", COMMANDS, ["export"]],
    ["memebrs", COMMANDS, ["members"]],
    ["colections", COMMANDS, ["collections"]],
    ["no", COMMANDS, ["notes"]], // the start of one command only
    ["co", COMMANDS, []], // the start of several: no guess
    ["fly", COMMANDS, []],
    ["x", COMMANDS, []],
    ["", COMMANDS, []],
    ["dry", IMPORT_FLAGS, ["dry-run"]],
    ["dryrun", IMPORT_FLAGS, ["dry-run"]],
    ["hom", IMPORT_FLAGS, ["home"]],
    ["jsno", IMPORT_FLAGS, ["json"]],
    ["passphrase", IMPORT_FLAGS, ["passphrase-file"]],
    ["rm", ["rm", "rn"], ["rm"]],
    ["rx", ["rm", "rn"], ["rm", "rn"]], // ties: all of them, sorted
    ["a".repeat(MAX_SUGGEST_LENGTH + 1), ["a".repeat(MAX_SUGGEST_LENGTH)], []], // too long to compare
  ];
  it.each(table)("%s among %j -> %j", (typed, candidates, expected) => {
    expect(suggest(typed, candidates)).toEqual(expected);
  });

  it("returns at most `limit` guesses", () => {
    expect(suggest("ab", ["aa", "ac", "ad", "ae", "af"], 2)).toEqual(["aa", "ac"]);
  });
});

describe("editDistance", () => {
  it("agrees with the whole-matrix reference on every pair of short words over a small alphabet", () => {
    const words = [""];
    for (const w of ["a", "b", "c"]) words.push(w);
    for (const x of ["a", "b", "c"]) for (const y of ["a", "b", "c"]) words.push(x + y);
    for (const x of ["a", "b", "c"]) for (const y of ["a", "b", "c"]) for (const z of ["a", "b", "c"]) words.push(x + y + z);
    for (const a of words) for (const b of words) expect(editDistance(a, b), `${a} ${b}`).toBe(reference(a, b));
    expect(editDistance("courier-enroll", "courier-enrol")).toBe(reference("courier-enroll", "courier-enrol"));
  });

  it("is Infinity past the length bound, before any table is built", () => {
    expect(editDistance("a".repeat(MAX_SUGGEST_LENGTH), "a".repeat(MAX_SUGGEST_LENGTH))).toBe(0);
    expect(editDistance("a".repeat(MAX_SUGGEST_LENGTH + 1), "a")).toBe(Infinity);
    expect(editDistance("a", "b".repeat(1_000_000))).toBe(Infinity);
  });
});

describe("orList", () => {
  it("joins guesses as a hint writes them", () => {
    expect(orList([])).toBe("");
    expect(orList(["a"])).toBe('"a"');
    expect(orList(["a", "b"])).toBe('"a" or "b"');
    expect(orList(["a", "b", "c"])).toBe('"a", "b" or "c"');
  });
});
