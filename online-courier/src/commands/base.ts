/**
 * What every airlock-courier command shares: --home (else AIRLOCK_COURIER_HOME, else
 * ~/.airlock-courier), --json, and failure reporting in the CLI contract's form: one
 * `airlock-courier: error: …` line (plus a `hint:` line when we know the fix), or
 * {"ok":false,"error":{code,message,hint}} on stdout with --json; exit status 1.
 */
import { Command, Flags } from "@oclif/core";
import { escapeBlock, escapeLine, reportFailure, safeJson, stderrProgress } from "@airlock/shared";
import { resolveHome, type CourierHome } from "../home/paths.js";

export const PROGRAM = "airlock-courier";

export abstract class CourierCommand extends Command {
  static override baseFlags = {
    home: Flags.string({ description: "courier home folder (default: $AIRLOCK_COURIER_HOME or ~/.airlock-courier)", helpGroup: "GLOBAL" }),
    json: Flags.boolean({ description: "print one JSON object on stdout", default: false, helpGroup: "GLOBAL" }),
  };

  protected homeFrom(flag: string | undefined): CourierHome {
    return resolveHome(flag);
  }

  /**
   * The one way a command prints its result. Team names, file names and remote mailboxes' error
   * messages inside `text` are escaped where they are interpolated (`safe`: one line each); this
   * last escape keeps the newlines of our own layout and lets nothing else that acts on a
   * terminal out (docs/threat-model.md, "Terminal output"). JSON: `safeJson`.
   */
  protected emit(json: boolean, data: Record<string, unknown>, text: string): void {
    process.stdout.write(json ? `${safeJson({ ok: true, ...data })}\n` : escapeBlock(text));
  }

  /** A timestamped operator line on stderr (sync --every, serve), escaped to one line. */
  protected operatorLog(line: string): void {
    process.stderr.write(`${new Date().toISOString()} ${escapeLine(line)}\n`);
  }

  /** A progress line on stderr (shared/src/cli-report.ts); stdout stays for data. */
  protected progress(_json: boolean): (line: string) => void {
    return stderrProgress();
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (error.oclif?.exit === 0) return;
    reportFailure(PROGRAM, error, this.argv.includes("--json"));
  }
}
