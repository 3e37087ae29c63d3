/**
 * The vault's terminal UI: finds the vault at --home, unlocks it (a passphrase given by file or
 * environment, else a masked prompt), then hands it to Main. After `lockAfterMs` without a key
 * it locks again: the vault is closed, the screen holds only the prompt, and unlocking comes
 * back to the collection and record that were shown. Nothing here reaches the network.
 */
import { Box, useApp, useInput } from "ink";
import { describeError } from "@airlock/shared";
import { Text } from "./components/Text.js";
import { useEffect, useRef, useState, type ReactElement } from "react";
import { useTerminalSize } from "./terminal.js";
import { noVaultError, vaultExists } from "../cli/home.js";
import { Vault } from "../vault/vault.js";
import { MessageLine } from "./components/MessageLine.js";
import { PassphrasePrompt } from "./components/PassphrasePrompt.js";
import { Working } from "./components/Working.js";
import { errorMessage, type Message } from "./messages.js";
import { Main, type Place, type SpacesImport } from "./Main.js";
import { FirstRun } from "./screens/Setup.js";
import { allSpaces, currentSpace, openSpace, type SpaceRef } from "../spaces/spaces.js";
import { refuseLinked } from "../spaces/linked.js";
import { importIntoSpaces, type ImportOptions } from "../vault/transfer.js";

/**
 * An import offered to every space (vault/transfer.ts importIntoSpaces): the shown space and the
 * first stay open for the TUI, the others are opened for it and closed after. A space that does not
 * open (damaged: its folder missing or unreadable) is left out and named, and the others still
 * import, as `airlock import` does (commands/import.ts; review F4).
 */
async function importAll(phase: Extract<Phase, { kind: "open" }>, spaces: readonly SpaceRef[], paths: readonly string[], progress: (line: string) => void, options: ImportOptions): Promise<SpacesImport> {
  const first = phase.first!;
  const keep = (v: Vault): boolean => v === first || v === phase.vault;
  const leftOut: { space: string; reason: string }[] = [];
  const open = (ref: SpaceRef): Vault | undefined => {
    if (ref.id === "") return first;
    if (ref.id === phase.space?.id) return phase.vault;
    try {
      return openSpace(first, ref);
    } catch (e) {
      leftOut.push({ space: ref.name, reason: describeError(e).code });
      return undefined;
    }
  };
  const results = await importIntoSpaces(spaces, open, paths, progress, options, (v) => (keep(v) ? undefined : v.close()));
  return { results: results.map(({ space, result }) => ({ space: space.name, result })), leftOut };
}

/** The open phase for the vault's first space `first`: the space `spaces use` set, opened. */
function inSpace(first: Vault, want?: SpaceRef): Phase {
  const space = want ?? currentSpace(first);
  if (space.id === "") return { kind: "open", first, space, vault: first };
  try {
    return { kind: "open", first, space, vault: openSpace(first, space) };
  } catch {
    // A damaged space must not lock the user out of the others: the first is shown, and
    // `airlock spaces list` says what is wrong with that one (review M8).
    return { kind: "open", first, space: allSpaces(first)[0]!, vault: first };
  }
}

export interface AppProps {
  /** The vault folder (already resolved from --home / AIRLOCK_HOME). */
  readonly home: string;
  /** "test-insecure" only where AIRLOCK_INSECURE_TEST_KDF=1 or in tests. */
  readonly kdf?: "test-insecure" | undefined;
  /** From --passphrase-file or AIRLOCK_PASSPHRASE; the App wipes it once used. */
  readonly passphrase?: Uint8Array | undefined;
  /** An already open vault (tests): used as is and left open. */
  readonly vault?: Vault | undefined;
  /** The clock of a vault the App opens, and of the TOTP codes on screen (tests pass a fixed one). */
  readonly now?: (() => number) | undefined;
  /** Lock after this long without a key (ms); 0 or absent never locks. A vault handed in is never locked. */
  readonly lockAfterMs?: number | undefined;
}

type Phase =
  | { readonly kind: "no-vault" }
  | { readonly kind: "locked"; readonly error?: Message | undefined; readonly idle?: boolean | undefined }
  | { readonly kind: "unlocking" }
  /** `vault` is the space shown: `first` itself, or a further space opened from it (docs/spaces.md). */
  | { readonly kind: "open"; readonly vault: Vault; readonly first?: Vault | undefined; readonly space?: SpaceRef | undefined };

function initialPhase(props: AppProps): Phase {
  if (props.vault !== undefined) return { kind: "open", vault: props.vault };
  if (!vaultExists(props.home)) return { kind: "no-vault" };
  return props.passphrase === undefined ? { kind: "locked" } : { kind: "unlocking" };
}

export function App(props: AppProps): ReactElement {
  const { home, kdf, now } = props;
  const { exit } = useApp();
  const [phase, setPhase] = useState<Phase>(() => initialPhase(props));
  const mounted = useRef(true);
  const place = useRef<Place | undefined>(undefined);
  const size = useTerminalSize();

  const unlock = (passphrase: Uint8Array): void => {
    setPhase({ kind: "unlocking" });
    Vault.open(home, passphrase, { ...(kdf === undefined ? {} : { kdf }), ...(now === undefined ? {} : { now }) })
      .then((vault) => {
        // Quit while Argon2id was still running: nobody will ever close this vault otherwise.
        if (!mounted.current) return vault.close();
        try {
          setPhase(inSpace(vault));
        } catch (e) {
          vault.close();
          throw e;
        }
      })
      .catch((e: unknown) => {
        if (mounted.current) setPhase({ kind: "locked", error: vaultExists(home) ? errorMessage(e) : errorMessage(noVaultError(home)) });
      })
      .finally(() => passphrase.fill(0));
  };

  useEffect(() => {
    mounted.current = true;
    const given = props.passphrase;
    if (given !== undefined && phase.kind === "unlocking") unlock(given.slice());
    given?.fill(0);
    return () => {
      mounted.current = false;
    };
    // Runs once: the given passphrase is used (and wiped) on the first render only.
  }, []);

  // A vault this App opened is closed with it; one handed in belongs to the caller.
  const opened = phase.kind === "open" && phase.vault !== props.vault ? phase.vault : undefined;
  // With spaces the phase holds two vaults (the first, and the space shown); each closes once no
  // phase holds it any more: on a lock, on switching spaces, and when the App goes.
  const held = useRef<Set<Vault>>(new Set());
  useEffect(() => {
    const holds = new Set<Vault>();
    if (phase.kind === "open") for (const v of [phase.vault, phase.first]) if (v !== undefined && v !== props.vault) holds.add(v);
    for (const v of held.current) if (!holds.has(v)) v.close();
    held.current = holds;
  }, [phase]);
  useEffect(
    () => () => {
      for (const v of held.current) v.close();
      held.current = new Set();
    },
    [],
  );

  // The idle lock: every key restarts the wait; when it runs out the vault this App opened closes
  // (the effect above) and only the prompt is drawn.
  const lockAfterMs = props.lockAfterMs ?? 0;
  const locks = opened !== undefined && lockAfterMs > 0;
  const [keys, pressed] = useState(0);
  useInput(() => pressed((n) => n + 1), { isActive: locks });
  useEffect(() => {
    if (!locks) return undefined;
    const timer = setTimeout(() => {
      if (mounted.current) setPhase({ kind: "locked", idle: true });
    }, lockAfterMs);
    return () => clearTimeout(timer);
  }, [locks, lockAfterMs, keys]);

  switch (phase.kind) {
    case "no-vault":
      // The first-run wizard reads its own keys; the vault it creates is this App's to close.
      return <FirstRun home={home} kdf={kdf} onOpen={(vault) => setPhase({ kind: "open", vault, first: vault })} onQuit={exit} />;
    case "unlocking":
      return <Working label={`Unlocking the vault at ${home}`} />;
    case "locked":
      return (
        // As tall as the terminal: a lock replaces every line the open vault drew.
        <Box flexDirection="column" height={size.rows - 1}>
          {phase.idle === true ? <Text color="yellow">{`Locked after ${lockAfterMs % 60_000 === 0 ? `${lockAfterMs / 60_000} min` : `${Math.round(lockAfterMs / 1000)} s`} without a key: the vault is closed.`}</Text> : null}
          <Text>
            <Text bold color="cyan">Airlock</Text> vault at {home}
          </Text>
          {kdf === "test-insecure" ? <Text color="red" bold>!! AIRLOCK_INSECURE_TEST_KDF=1: test-only key derivation, never use this for real data !!</Text> : null}
          <PassphrasePrompt prompt="Vault passphrase: " onSubmit={unlock} onCancel={exit} />
          <MessageLine message={phase.error} />
        </Box>
      );
    case "open": {
      const spaces = phase.first === undefined ? [] : allSpaces(phase.first);
      const at = spaces.findIndex((s) => s.id === phase.space?.id);
      // Switching: the shown space closes (the effect above), the next one opens from the first.
      const next = (): void => {
        // The next space that opens (a damaged one is passed over).
        for (let k = 1; k <= spaces.length && phase.first !== undefined; k++) {
          const to = spaces[(at + k) % spaces.length]!;
          const p = inSpace(phase.first, to);
          if (p.kind === "open" && p.space?.id === to.id) return setPhase(p);
        }
      };
      return (
        <Main
          key={phase.space?.id ?? ""}
          vault={phase.vault}
          onQuit={exit}
          now={now}
          place={place.current}
          onPlace={(p) => void (place.current = p)}
          spaces={spaces.length > 1 ? { current: phase.space?.name ?? "", index: at, count: spaces.length, next, importAll: (paths, progress, options) => importAll(phase, spaces, paths, progress, options), refuseLinked: (keys) => refuseLinked(phase.first!, phase.space?.id ?? "", keys) } : undefined}
        />
      );
    }
  }
}
