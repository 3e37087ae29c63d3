/**
 * `airlock export --usb STICK` from alice's vault (her changesets nobody acknowledged yet).
 * After a kill: the vault is unchanged row for row (exporting writes nothing there) and passes
 * integrity_check; every file under a bundle name on the stick is a whole bundle (temp names
 * are fine). After the rerun: the same, the whole bundles of the killed run are still there and
 * unchanged, and the rerun wrote what an uninterrupted export writes (kinds, sizes, counts).
 * Then vera's vault imports the stick and must reach the state an uninterrupted export's stick
 * gives her, without an issue: after every kill that left a file on the stick (whole or temp),
 * and after every CHECK_EVERY-th other kill. That import costs more than the export itself, and
 * a kill that left the stick empty and the vault unchanged (both checked every time) leaves
 * nothing for the rerun to differ by.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AIRLOCK } from "../e2e/support/cli.js";
import { digest } from "../e2e/support/team.js";
import { dropFolderFacts, vaultFacts, type FolderFacts, type VaultFacts } from "./checks.js";
import { restore, type Fixtures } from "./fixtures.js";
import { vaultEnv } from "./import-scenario.js";
import { runToEnd, type Finished } from "./kill.js";
import { digestOf, findings, missing, type AfterKill, type AfterRerun, type Findings, type Scenario } from "./scenario.js";

const CHECK_EVERY = 4;

interface Written {
  readonly kind: string;
  readonly bytes: number;
  readonly changesets: number;
  readonly entries: number;
}

export function exportScenario(fx: Fixtures): Scenario {
  const work = join(fx.root, "work", "export");
  const home = join(work, "vault");
  const stick = join(work, "stick");
  const checker = join(work, "checker");
  let base: VaultFacts | undefined;
  let atKill: FolderFacts | undefined;
  let expected: number | undefined;
  let veraReference: string | undefined;
  let quiet = 0;
  let veraImports = 0;

  const checkVault = async (out: Findings): Promise<void> => {
    const now = await vaultFacts(home, { tables: true });
    if (now.integrity !== "ok") out.integrity.push(`integrity_check: ${now.integrity}`);
    if (now.tables !== base!.tables) out.losses.push("the export changed the vault");
  };

  return {
    name: "export",
    label: "airlock export --usb",
    command: { bin: AIRLOCK, args: ["export", "--usb", stick, "--home", home, "--json"], env: vaultEnv() },
    reset() {
      restore(fx.exportVault, home);
      rmSync(stick, { recursive: true, force: true });
      mkdirSync(stick);
      atKill = undefined;
    },
    async baseline() {
      base = await vaultFacts(home, { tables: true });
    },
    async afterKill(): Promise<AfterKill> {
      const out = findings();
      await checkVault(out);
      const sticks = dropFolderFacts(stick);
      out.integrity.push(...sticks.problems);
      atKill = sticks;
      const whole = sticks.complete.size;
      return {
        ...out,
        progress: `${whole}${expected === undefined ? "" : `/${expected}`} bundles, ${sticks.temps} temp`,
        partial: sticks.temps > 0 || (whole > 0 && whole !== expected),
        stage: sticks.temps > 0 ? "writing a bundle (temp file)" : whole === 0 ? "nothing on the stick yet" : "bundles written, not exited",
      };
    },
    async afterRun(run: Finished): Promise<AfterRerun> {
      const out = findings();
      await checkVault(out);
      const sticks = dropFolderFacts(stick);
      out.integrity.push(...sticks.problems);
      if (atKill !== undefined) {
        out.losses.push(...missing("whole bundles of the killed run", atKill.complete.keys(), sticks.complete));
        for (const [name, hash] of atKill.complete) if (sticks.complete.has(name) && sticks.complete.get(name) !== hash) out.losses.push(`${name} changed after the kill`);
      }
      const written = (JSON.parse(run.stdout) as { bundles: Written[] }).bundles;
      expected ??= written.length;
      const fresh = sticks.complete.size - (atKill?.complete.size ?? 0);
      if (fresh !== written.length) out.integrity.push(`the rerun reported ${written.length} bundles but ${fresh} new whole files are on the stick`);
      const shape = written.map((w) => `${w.kind} ${w.bytes} ${w.changesets} ${w.entries}`).sort();
      const leftSomething = atKill !== undefined && (atKill.complete.size > 0 || atKill.temps > 0);
      const diverged: string[] = [];
      if (atKill === undefined || leftSomething || quiet++ % CHECK_EVERY === 0) {
        // What the stick is worth: vera's vault reads it and must end where an uninterrupted export takes her.
        veraImports++;
        restore(fx.importVault, checker);
        const read = await runToEnd({ bin: AIRLOCK, args: ["import", stick, "--home", checker, "--json"], env: vaultEnv() }, "vera's import of the exported stick");
        const report = (JSON.parse(read.stdout) as { report: { issues: unknown[]; quarantined: number } }).report;
        if (report.issues.length > 0 || report.quarantined > 0) out.integrity.push(`vera's import of the stick reported ${report.issues.length} issues, ${report.quarantined} quarantined`);
        const vera = await digest(checker);
        veraReference ??= vera;
        if (vera !== veraReference) diverged.push("vera's vault read from this stick differs from what an uninterrupted export gives her");
      }
      return { ...out, state: digestOf({ shape }), diverged };
    },
    figures: () => ({ veraImports }),
  };
}
