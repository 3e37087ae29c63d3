/**
 * What every airlock-courier command shares: --home (else AIRLOCK_COURIER_HOME, else
 * ~/.airlock-courier), --json, and failure reporting in the CLI contract's form: one
 * `airlock-courier: error: …` line (plus a `hint:` line when we know the fix), or
 * {"ok":false,"error":{code,message,hint}} on stdout with --json; exit status 1.
 */
import { Command, Flags } from "@oclif/core";
import { reportFailure } from "@airlock/shared";
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

  protected emit(json: boolean, data: Record<string, unknown>, text: string): void {
    process.stdout.write(json ? `${JSON.stringify({ ok: true, ...data })}\n` : text);
  }

  /** A progress line on stderr (stdout stays for data): redrawn in place on a terminal, one line each otherwise. */
  protected progress(_json: boolean): (line: string) => void {
    const tty = process.stderr.isTTY === true;
    let last = 0;
    return (line) => {
      const now = Date.now();
      if (tty) {
        if (now - last < 100) return;
        last = now;
        process.stderr.write(`\r\x1b[K${line}`);
      } else process.stderr.write(`${line}\n`);
    };
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (error.oclif?.exit === 0) return;
    reportFailure(PROGRAM, error, this.argv.includes("--json"));
  }
}
