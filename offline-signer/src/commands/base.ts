/**
 * What every `airlock` command shares: --home (else AIRLOCK_HOME, else ~/.airlock), --json,
 * --passphrase-file, opening the vault, and failure reporting in the CLI contract's form: one
 * `airlock: error: …` line plus a `hint:` line, or {"ok":false,"error":{…}} with --json; exit 1,
 * or 2 for a command line that cannot be right (docs/cli.md).
 *
 * Test-only: AIRLOCK_INSECURE_TEST_KDF=1 makes new vaults use (and lets existing ones open with)
 * a trivially cheap Argon2id setting, and says so on stderr every time. Never use it for real data.
 */
import { Command, Flags } from "@oclif/core";
import { AirlockError, escapeBlock, quoted, reportFailure, safeJson, stderrProgress, usageFromParseError } from "@airlock/shared";
import { Vault } from "../vault/vault.js";
import { openFromAgent } from "../agent/open.js";
import { getPassphrase } from "../cli/passphrase.js";
import { INSECURE_KDF_ENV, noVaultError, requestedKdf, resolveHome, vaultExists } from "../cli/home.js";

import { allSpaces, currentSpace, findSpace, openSpace, type SpaceRef } from "../spaces/spaces.js";
import { refuseLinked } from "../spaces/linked.js";

export { INSECURE_KDF_ENV, resolveHome } from "../cli/home.js";

/** The global flags every vault command has. */
export interface VaultFlags {
  home?: string | undefined;
  "passphrase-file"?: string | undefined;
  space?: string | undefined;
}
export const PROGRAM = "airlock";

export abstract class VaultCommand extends Command {
  static override baseFlags = {
    home: Flags.string({ description: "vault folder (default: $AIRLOCK_HOME or ~/.airlock)", helpGroup: "GLOBAL" }),
    json: Flags.boolean({ description: "print one JSON object on stdout", default: false, helpGroup: "GLOBAL" }),
    "passphrase-file": Flags.string({ description: "read the passphrase from this file (else $AIRLOCK_PASSPHRASE, else a prompt)", helpGroup: "GLOBAL" }),
    space: Flags.string({ description: "the space to work in, by name or id (default: $AIRLOCK_SPACE, else the one set with `airlock spaces use`, else the first)", helpGroup: "GLOBAL" }),
  };

  /** Commands that work on the whole vault (its passphrase, backups, the list of spaces) refuse --space. */
  static wholeVault = false;

  /** The space the last openVault opened, and how many the vault has (for status lines). */
  protected space: { ref: SpaceRef; count: number } | undefined;

  protected kdf(): "test-insecure" | undefined {
    if (requestedKdf() === undefined) return undefined;
    process.stderr.write(`${PROGRAM}: warning: ${INSECURE_KDF_ENV}=1: test-only key derivation, never use this vault for real data\n`);
    return "test-insecure";
  }

  /**
   * Opens the vault at --home: with the key of a running unlock session for it (`airlock unlock`,
   * docs/unlock-session.md) if there is one and `agent` is not false, else asking for the passphrase.
   */
  protected async openVault(flags: VaultFlags, options: { agent?: boolean } = {}): Promise<Vault> {
    const wanted = this.#spaceFlag(flags);
    const first = await this.openFirst(flags, options);
    if ((this.constructor as typeof VaultCommand).wholeVault) return first;
    try {
      const ref = wanted === undefined ? currentSpace(first) : findSpace(first, wanted);
      this.space = { ref, count: allSpaces(first).length };
      // Several spaces: say on every command which one it works in (a default from `spaces use` is easy to forget).
      if (this.space.count > 1) process.stderr.write(`${PROGRAM}: space ${quoted(ref.name)} (one of ${this.space.count}; --space NAME for another)\n`);
      if (ref.id === "") return first;
      const vault = openSpace(first, ref);
      // Kept open (it holds every space's key) until the command ends: admissions look into the other spaces.
      this.#first = first;
      return vault;
    } catch (e) {
      first.close();
      throw e;
    }
  }

  #first: Vault | undefined;

  /**
   * Refuses a join request whose keys already belong to a team in another space of this vault: one
   * device admitted into two spaces would carry the same key into both (docs/spaces.md,
   * "Unlinkability"): spaces/linked.ts, which the TUI uses too. `vault` is the space the command works in.
   */
  protected refuseLinked(vault: Vault, keys: readonly Uint8Array[]): void {
    refuseLinked(this.#first ?? vault, this.space?.ref.id ?? "", keys);
  }

  /** Closes the first space kept open by openVault, whatever happened. */
  protected override async finally(error: Error | undefined): Promise<unknown> {
    this.#first?.close();
    this.#first = undefined;
    return super.finally(error);
  }

  /** --space, else $AIRLOCK_SPACE; refused on a command that works on the whole vault. */
  #spaceFlag(flags: VaultFlags): string | undefined {
    const wholeVault = (this.constructor as typeof VaultCommand).wholeVault;
    if (wholeVault) {
      if (flags.space !== undefined) this.usage(`"airlock ${this.id?.replace(/:/g, " ") ?? ""}" works on the whole vault, every space: --space does not apply`);
      return undefined;
    }
    return flags.space ?? (process.env["AIRLOCK_SPACE"] || undefined);
  }

  /** The vault's first space: the store the passphrase (or an unlock session) opens. */
  protected async openFirst(flags: VaultFlags, options: { agent?: boolean } = {}): Promise<Vault> {
    const home = resolveHome(flags.home);
    if (!vaultExists(home)) throw noVaultError(home);
    const kdf = this.kdf();
    const open = kdf === undefined ? {} : { kdf };
    const unlocked = options.agent === false ? undefined : await openFromAgent(home, open);
    if (unlocked !== undefined) return unlocked;
    const passphrase = await getPassphrase({ file: flags["passphrase-file"] });
    return Vault.open(home, passphrase, open);
  }

  /**
   * The spaces a command that reads or writes a stick works on: the one --space names, else every
   * space of the vault (import tries each; export writes each). `first` stays open for the caller.
   */
  protected spacesFor(first: Vault, flags: VaultFlags): SpaceRef[] {
    const wanted = this.#spaceFlag(flags);
    return wanted === undefined ? allSpaces(first) : [findSpace(first, wanted)];
  }

  /** Opens one space of the vault whose first space is `first` (the first itself is not opened again). */
  protected openSpaceOf(first: Vault, ref: SpaceRef): Vault {
    return ref.id === "" ? first : openSpace(first, ref);
  }

  /** Opens the vault at --home, runs `fn` on it, and closes it whatever happens. */
  protected async withVault<T>(flags: VaultFlags, fn: (vault: Vault) => T | Promise<T>): Promise<T> {
    const vault = await this.openVault(flags);
    try {
      return await fn(vault);
    } finally {
      vault.close();
    }
  }

  /** Opens the vault at --home, or creates it (asking for a new passphrase twice) if there is none. */
  protected async openOrCreate(flags: VaultFlags): Promise<{ vault: Vault; created: boolean }> {
    const home = resolveHome(flags.home);
    if (vaultExists(home)) return { vault: await this.openVault(flags), created: false };
    const passphrase = await getPassphrase({ file: flags["passphrase-file"], confirm: true, prompt: "New vault passphrase: " });
    const kdf = this.kdf();
    return { vault: await Vault.create(home, passphrase, kdf === undefined ? {} : { kdf }), created: true };
  }

  /**
   * The one way a command prints its result. Names, titles and reasons inside `text` are escaped
   * where they are interpolated (`safe`, `table`, `quoted`: one line each); this last escape
   * keeps the newlines and tabs of our own layout and makes sure nothing else that acts on a
   * terminal gets out (docs/threat-model.md, "Terminal output"). JSON: `safeJson`.
   */
  protected emit(json: boolean, data: Record<string, unknown>, text: string): void {
    process.stdout.write(json ? `${safeJson({ ok: true, ...data })}\n` : escapeBlock(text));
  }

  /** Refuses a command line that cannot be right, before the vault is opened. */
  protected usage(message: string): never {
    throw new AirlockError("USAGE", message, { hint: `see ${PROGRAM} ${this.id?.replace(/:/g, " ") ?? ""} --help` });
  }

  /** Tells on stderr (with --json: in the result, as createdCollection) that a command made the first collection of its kind. */
  protected created(json: boolean, id: string, read: string, write: string): string {
    if (!json) process.stderr.write(`airlock: created collection "${id}" (read: ${read}+, write: ${write}+); change who reads it with: airlock collections policy ${id}\n`);
    return id;
  }

  /** A progress line on stderr (shared/src/cli-report.ts). */
  protected progress(): ReturnType<typeof stderrProgress> {
    return stderrProgress();
  }

  /**
   * Every command parses its command line first, so what fails before it is parsed is what
   * oclif's parser refused (an unknown flag, a missing flag or argument, a value not among the
   * options or that does not parse): the contract's USAGE error, exit 2, with one line naming
   * what was wrong and the nearest flag or where to read how the command goes.
   */
  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (error.oclif?.exit === 0) return;
    const usage = this.parsed ? error : usageFromParseError(PROGRAM, { id: this.id ?? "", flags: this.config.findCommand(this.id ?? "")?.flags ?? {}, argv: this.argv }, error);
    // It did parse, and failed: no "did not parse its arguments" warning (oclif gives one under NODE_ENV=test or development).
    this.parsed = true;
    reportFailure(PROGRAM, usage, this.argv.includes("--json"));
  }
}
