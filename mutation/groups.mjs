/**
 * The mutation-testing groups (docs/testing.md, "Mutation testing"): for each promise-carrying
 * module, the files Stryker mutates and the test files that must kill the mutants. Each group
 * runs alone (`npm run mutate -- <group>`), so a run stays short enough to repeat.
 *
 * Parts of a large file are named by the function that starts them and the one that follows, not
 * by line numbers, so the ranges follow the code as it moves.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** `file:from-to`: the lines from the one holding `start` to the one before the next holding `end`. */
function between(file, start, end) {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const from = lines.findIndex((l) => l.includes(start));
  const to = lines.findIndex((l, i) => i > from && l.includes(end));
  if (from < 0 || to < 0) throw new Error(`mutation/groups.mjs: ${file} no longer has "${start}" followed by "${end}"; update the group`);
  return `${file}:${from + 1}-${to}`;
}

/** `file:from-to` for one class method: from its signature to its closing brace (two-space indent). */
function method(file, signature) {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const from = lines.findIndex((l) => l.includes(signature));
  const to = lines.findIndex((l, i) => i > from && l === "  }");
  if (from < 0 || to < 0) throw new Error(`mutation/groups.mjs: ${file} no longer has the method "${signature}"; update the group`);
  return `${file}:${from + 1}-${to + 1}`;
}

const vault = "offline-signer/src/vault";
const team = "offline-signer/src/team";

export const groups = {
  /**
   * The team log: entry decoding and signature checks, the fold's rights table, reading helpers.
   * Only tests that fold hand-built logs: the vault-level ones (promises-team-entries, hostile,
   * roles, promises-leavers) and recovery-enrol/-adversary build real vaults in their setup,
   * which Stryker counts as covering every mutant (5-17 s per mutant run). fold.mutation and
   * entry.mutation hold the rights table, approvals, effects, grants, order and the codec.
   */
  team: {
    mutate: ["offline-signer/src/team/entry.ts", "offline-signer/src/team/state.ts", "offline-signer/src/team/read.ts", "offline-signer/src/team/cbor-object.ts"],
    tests: [`${team}/couriers-fold.test.ts`, `${team}/orgs.test.ts`, `${team}/orgs-membership.test.ts`, `${team}/orgs.mutation.test.ts`, `${team}/fold.mutation.test.ts`, `${team}/entry.mutation.test.ts`],
  },
  /**
   * Shared spaces between organizations (docs/spaces.md; docs/team-model.md I14-I16): the codec's
   * orgs/orgK/org fields and their limits, and the fold's organization rules (who may act on whose
   * members, seats, space-level approvals, the concurrent-seat check). The rest of the fold is the
   * `team` group's. promises-orgs.test.ts is left out (17 s per mutant run).
   */
  orgs: {
    mutate: [
      between(`${team}/entry.ts`, "export const MIN_ORGS", "/** A courier's name"),
      between(`${team}/entry.ts`, "// `orgs` and `orgK` only in a shared space's genesis", 'case "add-device":'),
      between(`${team}/entry.ts`, "function readOrgs(", "const COMMON = "),
      between(`${team}/entry.ts`, 'genesis: ["name", "user", "userName", "device", "orgs", "orgK"]', '"add-device": ["user"'),
      between(`${team}/entry.ts`, 'const orgs = o["orgs"] === undefined', 'case "add-member":'),
      between(`${team}/entry.ts`, '...(o["org"] === undefined', 'case "add-device": {'),
      between(`${team}/entry.ts`, "if (v > ORG_FIELDS_MAX_V", "// A recovery proof changes who may add a device"),
      between(`${team}/state.ts`, "if (isSpaceLevel(state, b, author)) return true;", "switch (b.type) {"),
      between(`${team}/state.ts`, "// ---- shared spaces", "const FIRST = new Set("),
      between(`${team}/state.ts`, "const at = state.effective.get(h);", "if (out.has(h) || state.effective.get(h) !== h"),
      between(`${team}/state.ts`, "orgs: genesis.body.orgs", "seats: new Map(),"),
      between(`${team}/state.ts`, "state.users.set(owner, {", "state.devices.set(hex(g.device.sign)"),
      between(`${team}/state.ts`, "state.orgsRequired = orgsRequired(state);", "return state;"),
      between(`${team}/state.ts`, "const by = state.orgs === undefined", "p.approvers.add(actor.user.id);"),
      between(`${team}/state.ts`, "const rule = ruleOf(state, b, actor.user);", "// The author's own approval counts only"),
      between(`${team}/state.ts`, "function permitted(", "function permittedByRole("),
      between(`${team}/state.ts`, "/** Active owners; in a shared space", "/** The change itself;"),
      between(`${team}/state.ts`, "state.users.set(id, { id, name: b.userName", "state.devices.set(hex(b.device.sign), newDevice(b.device, id));"),
      between(`${team}/state.ts`, 'if (u.role === "owner" && activeOwners(state, u.org) === 1)', "u.active = false;"),
      between(`${team}/state.ts`, 'if (u.role === "owner" && b.role !== "owner" && activeOwners(state, u.org) === 1)', "const demoted = roleRank"),
    ],
    tests: [`${team}/orgs.test.ts`, `${team}/orgs.mutation.test.ts`],
  },
  /**
   * Collection-key grants, their repair, and which devices a fresh key is sealed to. roles and
   * apps/compaction reach this code too but are left out (about 30 s per mutant run on the
   * shared machine, timeouts under load); grants.mutation.test.ts restates what they promise here.
   */
  grants: {
    mutate: [
      `${vault}/grants.ts`,
      `${vault}/heal-grants.ts`,
      method(`${vault}/vault.ts`, "#repairKeys(): void {"),
      method(`${vault}/vault.ts`, "removeMember(ref: string)"),
      method(`${vault}/vault.ts`, "setRole(ref: string, role: Role)"),
      method(`${vault}/vault.ts`, "setPolicy(id: string, read: Role, write: Role)"),
      method(`${vault}/vault.ts`, "#grantsForNewDevice(role: Role"),
      method(`${vault}/vault.ts`, "#rekeys(state: TeamState"),
    ],
    tests: [`${vault}/heal-grants.test.ts`, `${vault}/promises-leavers.test.ts`, `${vault}/grants.mutation.test.ts`],
  },
  /**
   * Changeset authorisation at its causal position and the import that stores, quarantines or
   * keeps waiting: in judge.ts drain, the clock and app checks, evaluate through headsGoBack; in
   * sync.ts importSync, recordFork and waitingRoom. Not yet measured: the rest of both files
   * (judge.ts's revalidate, compaction-snapshot checks and upgrade re-checks, the module-level
   * reason strings; sync.ts's bundle opening, welcomes, entry import, two-core prepare and
   * export). hostile, vault, log-acks and promises-team-entries reach these too but are left out
   * (about 45 s per mutant run on the shared machine); judge/sync.mutation.test.ts restate what
   * they promise about this code.
   */
  changesets: {
    mutate: [
      between(`${vault}/judge.ts`, "export function drain(", "export type Verdict ="),
      between(`${vault}/judge.ts`, "function clockProblem(", "/** Vaults on which a snapshot was applied"),
      between(`${vault}/judge.ts`, "export function evaluate(", "export function revalidate("),
      between(`${vault}/sync.ts`, "function quarantine(", "// ---- export"),
    ],
    tests: [`${vault}/roles.test.ts`, `${vault}/judge.mutation.test.ts`, `${vault}/sync.mutation.test.ts`],
  },
  /**
   * Sealing and opening bundles (bundle-format). The package's tests that never reach seal.ts or
   * open.ts are left out (primitives 5 s against @noble, cbor-strict, public-keys, payload): with
   * per-test coverage they only slowed the dry run and every static mutant.
   */
  bundle: {
    mutate: ["bundle-format/src/seal.ts", "bundle-format/src/open.ts"],
    tests: [
      "bundle-format/src/seal-open.test.ts",
      "bundle-format/src/tamper.test.ts",
      "bundle-format/src/properties.test.ts",
      "bundle-format/src/hostile-arguments.test.ts",
      "bundle-format/src/external-hash.test.ts",
      "bundle-format/src/chunk-aead.test.ts",
      "bundle-format/src/vectors.test.ts",
      "bundle-format/src/filler*.test.ts",
      "bundle-format/src/*.mutation.test.ts",
    ],
  },
  /** Transport-key mailbox ids, tags and tokens; cover (filler) bundles and the courier's sorting by tag. */
  transport: {
    mutate: [
      "shared/src/transport-key/transport-key.ts",
      "shared/src/transport-key/derive.ts",
      "shared/src/transport-key/mailbox-server-key.ts",
      "bundle-format/src/filler.ts",
      "online-courier/src/courier/classify.ts",
    ],
    tests: ["shared/src/transport-key/*.test.ts", "bundle-format/src/filler*.test.ts", "online-courier/src/courier/*.mutation.test.ts", "online-courier/src/courier/cover-traffic.test.ts"],
  },
  /** Reading a USB drop folder: hostile-input handling of names, links, sizes and counts. */
  usb: {
    mutate: ["shared/src/usb/read.ts", "shared/src/usb/names.ts", "shared/src/usb/open-file.ts", "shared/src/usb/layout.ts", "shared/src/usb/limits.ts"],
    tests: ["shared/src/usb/*.test.ts"],
  },
  /** The blind HTTP mailbox's bearer-token check and its table of tokens that opened a namespace. */
  "http-auth": {
    mutate: [between("online-courier/src/mailbox/http-server.ts", "function authenticate(", "function checkRate("), "online-courier/src/mailbox/verified-tokens.ts"],
    tests: [
      "online-courier/src/mailbox/http-server.test.ts",
      "online-courier/src/mailbox/http.test.ts",
      "online-courier/src/mailbox/http-auth.mutation.test.ts",
      "online-courier/src/mailbox/verified-tokens.test.ts",
    ],
  },
};
