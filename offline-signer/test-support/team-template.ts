/**
 * One small team built once per test file and copied for each test (the changesets mutation
 * tests): Alice (owner, vault `a`), Bob (editor, `b`, also driven as a modified client) and Vera
 * (viewer, `v`), every vault caught up. Building it costs seconds; a copy costs milliseconds.
 */
import { cpSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { HostileMember } from "./hostile.js";
import { newVault, settle, team, tempRoot, tempRoots, TestClock, TEST_PASSPHRASE } from "./vaults.js";
import { passphraseBytes } from "../src/store/index.js";
import { decodeChangeset } from "../src/sync/changeset.js";
import { Vault } from "../src/vault/vault.js";

export interface TemplateTeam {
  a: Vault;
  b: Vault;
  v: Vault;
  clock: TestClock;
  /** Bob's device as a modified client. */
  bob: HostileMember;
  close(): void;
}

/** Builds the team before the file's tests (and removes it after); returns a function that opens a fresh copy. */
export function teamTemplate(): () => Promise<TemplateTeam> {
  const roots = tempRoots();
  let template: { root: string; cleanup(): void } | undefined;
  beforeAll(async () => {
    template = tempRoot();
    const clock = new TestClock();
    const { a, b } = await team(template.root, clock);
    const v = await newVault(template.root, "v", clock);
    a.addMember(v.joinRequest("vera").bytes, "viewer");
    settle([a, b, v]);
    for (const x of [a, b, v]) x.close();
  });
  afterAll(() => template?.cleanup());
  return async () => {
    const r = roots();
    cpSync(template!.root, r, { recursive: true });
    const clock = new TestClock();
    const open = (name: string): Promise<Vault> => Vault.open(join(r, name), passphraseBytes(TEST_PASSPHRASE), { kdf: "test-insecure", now: clock.now });
    const [a, b, v] = [await open("a"), await open("b"), await open("v")];
    return { a, b, v, clock, bob: new HostileMember(b), close: () => [a, b, v].forEach((x) => x.close()) };
  };
}

/** The stored verdict of a changeset (by its bytes), or undefined when the vault does not hold it. */
export function verdict(vault: Vault, bytes: Uint8Array): { status: string; reason: string | null } | undefined {
  const id = decodeChangeset(bytes, { verify: false }).id;
  return vault.store.connection().prepare("SELECT status, reason FROM changesets WHERE hash = ?").get(id) as { status: string; reason: string | null } | undefined;
}
