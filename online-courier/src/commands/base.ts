/**
 * What every airlock-courier command shares: --home (else AIRLOCK_COURIER_HOME, else
 * ~/.airlock-courier), --json, and failure reporting in the CLI contract's form: one
 * `airlock-courier: error: …` line (plus a `hint:` line when we know the fix), or
 * {"ok":false,"error":{code,message,hint}} on stdout with --json; exit status 1, or 2 for a
 * command line that cannot be right (docs/cli.md).
 */
import { Command, Flags } from "@oclif/core";
import { AirlockError, escapeBlock, escapeLine, reportFailure, safeJson, stderrProgress, usageFromParseError } from "@airlock/shared";
import { resolveHome, type CourierHome } from "../home/paths.js";

export const PROGRAM = "airlock-courier";

/** The courier's codes for a flag value it refused itself: reported as USAGE (exit 2). */
const USAGE_CODES: ReadonlySet<string> = new Set(["COURIER_BAD_ARGUMENT", "COURIER_BAD_DURATION"]);

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

  /**
   * Every command parses its command line first, so what fails before it is parsed is what
   * oclif's parser refused (an unknown flag, a missing argument, a value that does not parse):
   * the contract's USAGE error, exit 2. So are a command's own checks of its flags
   * (COURIER_BAD_ARGUMENT, COURIER_BAD_DURATION): the command line cannot be right either way.
   */
  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (error.oclif?.exit === 0) return;
    const command = { id: this.id ?? "", flags: this.config.findCommand(this.id ?? "")?.flags ?? {}, argv: this.argv };
    let reported: unknown = error;
    if (!this.parsed) reported = usageFromParseError(PROGRAM, command, error);
    else if (error instanceof AirlockError && USAGE_CODES.has(error.code)) {
      const hint = error.code === "COURIER_BAD_ARGUMENT" ? `see ${PROGRAM} ${command.id} --help` : error.hint;
      reported = new AirlockError("USAGE", error.message, { ...(hint === undefined ? {} : { hint }), cause: error });
    }
    // It did parse, and failed: no "did not parse its arguments" warning (oclif gives one under NODE_ENV=test or development).
    this.parsed = true;
    reportFailure(PROGRAM, reported, this.argv.includes("--json"));
  }
}
