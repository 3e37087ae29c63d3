/**
 * `airlock import STICK` into vera's vault, three bundles of `changesets / 3` each. After a kill:
 * the store passes integrity_check, every changeset it held before is still applied, no head
 * went back, and what the run added is whole bundles (each bundle is applied in one
 * transaction), every applied changeset with all its ops. After the rerun: everything applied at
 * the kill is still applied, the stick is untouched, and the vault's state digest is the one an
 * uninterrupted import reaches.
 */
import { join } from "node:path";
import { digest } from "../e2e/support/team.js";
import { AIRLOCK, PASSPHRASE } from "../e2e/support/cli.js";
import { folderDigest, vaultFacts, type VaultFacts } from "./checks.js";
import { OPS_PER_CHANGESET, restore, type Fixtures } from "./fixtures.js";
import type { Finished } from "./kill.js";
import { digestOf, findings, missing, type AfterKill, type AfterRerun, type Findings, type Scenario } from "./scenario.js";

export const vaultEnv = (): NodeJS.ProcessEnv => ({ ...process.env, AIRLOCK_PASSPHRASE: PASSPHRASE, AIRLOCK_INSECURE_TEST_KDF: "1" });

/** Every sum of a subset of `parts`: the counts a run that applies whole bundles can leave. */
function subsetSums(parts: readonly number[]): Set<number> {
  let sums = new Set([0]);
  for (const p of parts) sums = new Set([...sums, ...[...sums].map((s) => s + p)]);
  return sums;
}

/** What must hold of any vault state reachable from `base`. */
function vaultChecks(base: VaultFacts, now: VaultFacts, wholeBundles: ReadonlySet<number>, out: Findings): number {
  if (now.integrity !== "ok") out.integrity.push(`integrity_check: ${now.integrity}`);
  if (now.appliedWithoutOps > 0) out.integrity.push(`${now.appliedWithoutOps} applied changesets without ops`);
  if (now.orphanOps > 0) out.integrity.push(`${now.orphanOps} ops of changesets that are not applied`);
  const added = now.applied.size - base.applied.size;
  if (now.ops - base.ops !== added * OPS_PER_CHANGESET) out.integrity.push(`${added} changesets added but ${now.ops - base.ops} ops`);
  if (!wholeBundles.has(added)) out.integrity.push(`${added} changesets added: not a whole number of bundles`);
  out.losses.push(...missing("applied changesets of the prepared vault", base.applied, now.applied));
  for (const [device, seq] of Object.entries(base.heads)) {
    if ((now.heads[device] ?? 0) < seq) out.losses.push(`head of ${device.slice(0, 12)} went back from ${seq} to ${now.heads[device] ?? 0}`);
  }
  return added;
}

export function importScenario(fx: Fixtures): Scenario {
  const home = join(fx.root, "work", "import", "vault");
  const total = fx.importBundles.reduce((a, b) => a + b, 0);
  const wholeBundles = subsetSums(fx.importBundles);
  let base: VaultFacts | undefined;
  let stick = "";
  let atKill: VaultFacts | undefined;
  return {
    name: "import",
    label: "airlock import",
    command: { bin: AIRLOCK, args: ["import", fx.importStick, "--home", home, "--json"], env: vaultEnv() },
    reset() {
      restore(fx.importVault, home);
      atKill = undefined;
    },
    async baseline() {
      base = await vaultFacts(home);
      stick = folderDigest(fx.importStick);
    },
    async afterKill(): Promise<AfterKill> {
      const now = await vaultFacts(home);
      const out = findings();
      const added = vaultChecks(base!, now, wholeBundles, out);
      atKill = now;
      return { ...out, progress: `${added}/${total} changesets`, partial: added > 0 && added < total, stage: `${added} of ${total} changesets applied` };
    },
    async afterRun(run: Finished): Promise<AfterRerun> {
      const now = await vaultFacts(home);
      const out = findings();
      vaultChecks(base!, now, wholeBundles, out);
      if (atKill !== undefined) out.losses.push(...missing("changesets applied at the kill", atKill.applied, now.applied));
      if (folderDigest(fx.importStick) !== stick) out.losses.push("the import changed the stick it read");
      const report = (JSON.parse(run.stdout) as { report: { issues: unknown[]; quarantined: number } }).report;
      if (report.issues.length > 0 || report.quarantined > 0) out.integrity.push(`the import reported ${report.issues.length} issues, ${report.quarantined} quarantined`);
      const state = digestOf({ vault: await digest(home), byStatus: now.byStatus, ops: now.ops, heads: now.heads });
      return { ...out, state };
    },
  };
}
