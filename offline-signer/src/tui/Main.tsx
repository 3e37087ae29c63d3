/**
 * The TUI over an open vault: one tab per readable collection, each shown by its app's screen
 * (screens/NotesView, SecretsView, ContactsView), and every action they share: switching
 * collections, search, export and import, team, access, status and the log.
 * All vault work goes through the same functions the commands use (apps/*, vault/transfer.ts,
 * vault/report.ts); this file only decides what is on screen and which key does what.
 */
import { homedir } from "node:os";
import { resolve } from "node:path";
import { Box, useInput, type Key } from "ink";
import { renderReceiptTerminal } from "@airlock/shared";
import { Text } from "./components/Text.js";
import { useEffect, useMemo, useRef, useState, type ReactElement } from "react";
import type { RecordView } from "../apps/app.js";
import { auditLog, vaultStatus, type VaultStatus } from "../vault/report.js";
import { emptyReport } from "../vault/import-report.js";
import { exportLines, exportTo, importFrom, importLines, type ImportOptions, type ImportResult } from "../vault/transfer.js";
import { DEFAULT_COLLECTION, type Vault } from "../vault/vault.js";
import { Form } from "./components/Form.js";
import { MessageLine, messageHeight } from "./components/MessageLine.js";
import { HelpOverlay, type HelpSection } from "./components/HelpOverlay.js";
import { KeyBar } from "./components/KeyBar.js";
import { ScrollView } from "./components/ScrollView.js";
import { useTerminalSize } from "./terminal.js";
import { RECORD_SCREEN_CHROME } from "./screens/RecordScreen.js";
import { Working } from "./components/Working.js";
import { errorMessage, info, type Message } from "./messages.js";
import { ExportChoice } from "./screens/ExportChoice.js";
import { Header } from "./screens/Header.js";
import { bottomOf, LogView } from "./screens/LogView.js";
import { SCREENS } from "./appScreens.js";
import { CollectionTabs, type CollectionTab } from "./components/CollectionTabs.js";
import { actionOf, GLOBAL_BAR, GLOBAL_KEYS, HELP_KEYS, LOG_KEYS, SCROLL_KEYS, STATUS_KEYS, type KeyTable } from "./keys.js";
import { SearchView } from "./screens/SearchView.js";
import { importTitle, ResultView } from "./screens/ResultView.js";
import { NoTeam } from "./screens/Setup.js";
import { StatusView } from "./screens/StatusView.js";
import { TeamScreen } from "./screens/TeamScreen.js";
import { AccessScreen } from "./screens/AccessScreen.js";
import { attentionOf, Home, opensHome } from "./screens/Home.js";
import { findSticks, type Stick } from "./sticks.js";
import { CameraReceive, cameraOf } from "./screens/CameraReceive.js";

type Mode =
  | { readonly kind: "browse" }
  | { readonly kind: "home" }
  | { readonly kind: "export-choice" }
  | { readonly kind: "export-path"; readonly target: "usb" | "qr" }
  | { readonly kind: "import-path" }
  | { readonly kind: "working"; readonly label: string }
  | { readonly kind: "camera"; readonly device: string; readonly stop: AbortController }
  | { readonly kind: "result"; readonly title: string; readonly lines: readonly string[]; readonly warn?: string | undefined; readonly receipts?: readonly string[] }
  /** The import's delivery receipt codes (docs/receipts.md), one at a time and alone on the screen, for the courier's camera. */
  | { readonly kind: "receipt"; readonly codes: readonly string[]; readonly index: number }
  | { readonly kind: "status" }
  | { readonly kind: "team" }
  | { readonly kind: "access" }
  | { readonly kind: "search" }
  | { readonly kind: "log"; readonly offset: number }
  | { readonly kind: "help"; readonly title: string; readonly sections: readonly HelpSection[]; readonly back: Mode };

const BROWSE: Mode = { kind: "browse" };
const HOME: Mode = { kind: "home" };
/** SearchView's lines besides its results: borders, the query, the count, an error and its key line. */
const SEARCH_CHROME = 6;
/** Forms, work in progress and the team, access and search screens read their own keys. */
const OWN_KEYS: ReadonlySet<Mode["kind"]> = new Set(["export-path", "import-path", "working", "camera", "team", "access", "search"]);

interface Snapshot {
  readonly status: VaultStatus | undefined;
  readonly collections: readonly CollectionTab[];
  readonly collection: CollectionTab | undefined;
  /** The shown collection's records, when this release has a screen for its app. */
  readonly records: readonly RecordView[];
  readonly error: Message | undefined;
}

const NOTHING = { collections: [], collection: undefined, records: [] };
/** Apps whose screen reads its own pages of records: Main hands them none. */
const PAGED_APPS: ReadonlySet<string> = new Set(["notes"]);

/** Where the TUI was (the collection and record shown), kept across an idle lock. */
export interface Place {
  readonly collection: string;
  readonly selectedId: string | undefined;
}

/** Everything the collection screens show, read once per change rather than once per key. */
function snapshot(vault: Vault, wanted: string): Snapshot {
  try {
    const status = vaultStatus(vault);
    if (status.team === undefined) return { status, ...NOTHING, error: undefined };
    const state = vault.requireTeam();
    const collections = status.collections
      .filter((c) => c.canRead)
      .map((c) => {
        const app = state.collections.get(c.id)?.app ?? "notes";
        return { id: c.id, name: c.name, app, label: vault.appOf(c.id)?.label ?? app };
      });
    const collection = collections.find((c) => c.id === wanted) ?? collections[0];
    // Notes are read a screenful at a time by their screen (tui/paged.ts); the others are sorted by title in memory.
    const records = collection !== undefined && SCREENS[collection.app] !== undefined && !PAGED_APPS.has(collection.app) ? vault.records(collection.id) : [];
    return { status, collections, collection, records, error: undefined };
  } catch (e) {
    return { status: undefined, ...NOTHING, error: errorMessage(e) };
  }
}

function expandPath(path: string): string {
  const p = path.trim();
  return resolve(p === "~" ? homedir() : p.startsWith("~/") ? `${homedir()}${p.slice(1)}` : p);
}

/** The result screen of one import offered to several spaces: per space what it took, receipts of all. */
function spacesResult(source: string, { results, leftOut }: SpacesImport): Mode {
  const took = results.filter(({ result }) => result.report.bundles > 0 || result.report.issues.length > 0);
  const read = results[0]?.result.read ?? 0;
  const codes = results.flatMap(({ result }) => (result.receipts?.codes ?? []).map((c) => renderReceiptTerminal(c.symbol)));
  const refused = results.reduce((n, { result }) => n + result.report.quarantined + result.report.rejected + result.report.entriesRejected, 0);
  const forNone = read - results.reduce((n, { result }) => n + result.report.bundles, 0);
  return {
    kind: "result",
    title: took.length === 0 ? importTitle(source, read, results[0]?.result.report ?? emptyReport()) : `Imported from ${source} into ${took.map((t) => `"${t.space}"`).join(", ")}`,
    lines: [
      ...took.flatMap(({ space, result }) => [`Space "${space}":`, ...importLines(result.read, result.report).slice(1).map((l) => `  ${l}`)]),
      // A damaged space was not offered the stick (as `airlock import` warns): its bundles stay counted as for no space.
      ...leftOut.map(({ space, reason }) => `Space "${space}" left out (damaged: ${reason})`),
      `${read} bundle(s) read; ${Math.max(0, forNone)} for no space of this vault${leftOut.length > 0 ? " (or for a space left out)" : ""}.`,
      ...(codes.length === 0 ? [] : [`r: show the receipt code for the courier's camera${codes.length > 1 ? ` (${codes.length} codes)` : ""}, so it knows what arrived`]),
    ],
    warn:
      leftOut.length > 0
        ? `Not imported into ${leftOut.map((l) => `"${l.space}"`).join(", ")}: damaged (airlock spaces list says why; airlock spaces leave NAME --now removes it).${refused > 0 ? " Some of what arrived was refused: press s in that space for the reasons." : ""}`
        : refused > 0
          ? "Some of what arrived was refused: press s in that space for the reasons."
          : undefined,
    receipts: codes,
  };
}

export interface MainProps {
  readonly vault: Vault;
  readonly onQuit: () => void;
  /** The clock TOTP codes are computed from (tests pass a fixed one); Date.now otherwise. */
  readonly now?: (() => number) | undefined;
  /** Where to start (after an idle lock, where it was); the default collection otherwise. */
  readonly place?: Place | undefined;
  /** Told where the TUI is after each move, so an unlock can come back to it. */
  readonly onPlace?: ((place: Place) => void) | undefined;
  /** The vault's spaces, when it holds more than one: the header names the one shown; `S` goes to the next. */
  readonly spaces?: SpacesView | undefined;
}

export interface SpacesView {
  readonly current: string;
  readonly index: number;
  readonly count: number;
  readonly next: () => void;
  /** An import offered to every space, as `airlock import` does (vault/transfer.ts importIntoSpaces). */
  readonly importAll: (paths: readonly string[], progress: (line: string) => void, options: ImportOptions) => Promise<SpacesImport>;
  /** Throws SPACE_LINKED when a join request's keys are in another space of this vault (spaces/linked.ts). */
  readonly refuseLinked: (keys: readonly Uint8Array[]) => void;
}

/** One import over every space: each space's result, and the damaged spaces left out (named, with why). */
export interface SpacesImport {
  readonly results: readonly { space: string; result: ImportResult }[];
  /** `reason`: the code of the error opening it (its message names the space's folder, too long for one line). */
  readonly leftOut: readonly { space: string; reason: string }[];
}

export function Main({ vault, onQuit, now, place, onPlace, spaces }: MainProps): ReactElement {
  // Opens on what needs attention (screens/Home.tsx), unless coming back from an idle lock.
  const [mode, setMode] = useState<Mode>(() => {
    if (place !== undefined || vault.teamId === undefined) return BROWSE;
    try {
      return opensHome(attentionOf(vault, [])) ? HOME : BROWSE;
    } catch {
      return BROWSE;
    }
  });
  // Inserted sticks with bundles in their inbox, looked for once when the TUI opens: found while
  // the collections are shown, they bring up the home screen; during anything else, a message.
  const [sticks, setSticks] = useState<readonly Stick[] | undefined>(undefined);
  const modeNow = useRef(mode);
  modeNow.current = mode;
  useEffect(() => {
    let live = true;
    void findSticks().then((found) => {
      if (!live) return;
      setSticks(found);
      const first = found[0];
      if (first === undefined || vault.teamId === undefined || modeNow.current.kind === "home") return;
      if (modeNow.current.kind === "browse") setMode(HOME);
      else setMessage(info(`${first.bundles} bundle(s) on the stick at ${first.root}: h shows what needs attention`));
    });
    return () => {
      live = false;
    };
  }, []);
  // Bumped after every write or import: the vault is the state, this only says "read it again".
  const [version, setVersion] = useState(0);
  const [wanted, setWanted] = useState(place?.collection ?? DEFAULT_COLLECTION);
  const [selectedId, setSelectedId] = useState<string | undefined>(place?.selectedId);
  useEffect(() => {
    onPlace?.({ collection: wanted, selectedId });
  }, [wanted, selectedId]);
  const [message, setMessage] = useState<Message | undefined>(undefined);
  const [progress, setProgress] = useState<string | undefined>(undefined);
  // `version` is in the deps on purpose: it is the only signal that the vault changed.
  const view = useMemo(() => snapshot(vault, wanted), [vault, wanted, version]);
  // The frame is one line shorter than the terminal (ink ends it with a newline): header, body,
  // message; the body holds a screen and its one-line key bar, and is never taller than given.
  const size = useTerminalSize();
  const shownMessage = message ?? view.error;
  const headerLines = view.status === undefined ? 0 : view.status.insecureKdf ? 2 : 1;
  const bodyHeight = Math.max(6, size.rows - 1 - headerLines - messageHeight(shownMessage, size.columns));
  // The collection screens: tabs, then a RecordScreen (its rows of records plus its chrome).
  const listRows = Math.max(1, bodyHeight - 1 - RECORD_SCREEN_CHROME);
  const inTeam = view.status?.team !== undefined;
  // While it lists, an app's screen reads the keys and hands Main the ones it has no use for.
  const Screen = mode.kind === "browse" && view.collection !== undefined ? SCREENS[view.collection.app] : undefined;

  const refresh = (): void => setVersion((v) => v + 1);
  const finish = (next: Message): void => {
    setMessage(next);
    refresh();
    setMode(BROWSE);
  };
  const work = (label: string, job: (progress: (line: string) => void) => Promise<Mode>, screen?: Mode): void => {
    setMode(screen ?? { kind: "working", label });
    setProgress(undefined);
    setMessage(undefined);
    void (async () => {
      // Export seals synchronously: give the terminal a moment to draw the working indicator first.
      await new Promise((r) => setTimeout(r, 40));
      try {
        const next = await job((line) => setProgress(line));
        refresh();
        setMode(next);
      } catch (e) {
        finish(errorMessage(e));
      }
    })();
  };

  const startExport = (target: "usb" | "qr", folder: string): void => {
    const dir = expandPath(folder);
    work(`Exporting to ${dir}`, async (progress) => {
      const written = await exportTo(vault, target === "usb" ? { usb: dir } : { qr: dir }, progress);
      const frames = written.reduce((n, w) => n + (w.frames ?? 0), 0);
      return {
        kind: "result",
        title: `Exported ${written.length} bundle(s)${target === "qr" ? `, ${frames} QR frames` : ""} to ${dir}`,
        lines: [...exportLines(written), "Carry them to the other devices (or a courier) and import them there."],
      };
    });
  };

  const startImport = (path: string): void => {
    const device = cameraOf(path);
    const source = device ?? expandPath(path);
    const stop = new AbortController();
    const job = async (progress: (line: string) => void): Promise<Mode> => {
      const paths = device === undefined ? [source] : [];
      const options = device === undefined ? {} : { camera: { device }, signal: stop.signal };
      // Several spaces: one stick carries bundles of any of them, so every space is offered each one.
      if (spaces !== undefined) return spacesResult(source, await spaces.importAll(paths, progress, options));
      const { read, report, receipts } = await importFrom(vault, paths, progress, undefined, options);
      const rejected = report.rejected + report.entriesRejected;
      const codes = (receipts?.codes ?? []).map((c) => renderReceiptTerminal(c.symbol));
      const receiptLine = codes.length === 0 ? [] : [`r: show the receipt code for the courier's camera${codes.length > 1 ? ` (${codes.length} codes)` : ""}, so it knows what arrived`];
      return {
        kind: "result",
        title: importTitle(source, read, report),
        lines: [...importLines(read, report), `Quarantined: ${report.quarantined} · rejected: ${rejected} · unreadable: ${report.issues.length}`, ...receiptLine],
        warn: report.quarantined + rejected > 0 ? "Some of what arrived was refused: press s for the reasons." : undefined,
        receipts: codes,
      };
    };
    work(`Importing ${source}`, job, device === undefined ? undefined : { kind: "camera", device, stop });
  };

  const browse = (input: string, key: Key): void => {
    const switchCollection = (by: number): void => {
      const at = view.collections.findIndex((c) => c.id === view.collection?.id);
      const next = view.collections[(at + by + view.collections.length) % view.collections.length];
      if (next !== undefined) {
        setWanted(next.id);
        setSelectedId(undefined);
      }
    };
    const action = actionOf(GLOBAL_KEYS, input, key);
    switch (action) {
      case "quit":
        return onQuit();
      case "help":
        return help("Airlock", [{ title: "Everywhere", keys: GLOBAL_KEYS }]);
      case "import":
        return setMode({ kind: "import-path" });
      case "status":
        return setMode({ kind: "status" });
      case "space":
        return spaces?.next();
      case undefined:
        return;
      default:
        break;
    }
    if (!inTeam) return;
    switch (action) {
      case "next":
        return switchCollection(1);
      case "previous":
        return switchCollection(-1);
      case "home":
        return setMode(HOME);
      case "log":
        try {
          return setMode({ kind: "log", offset: bottomOf(auditLog(vault).length, bodyHeight - 1) });
        } catch (e) {
          return setMessage(errorMessage(e));
        }
      case "export":
        return setMode({ kind: "export-choice" });
      case "team":
        return setMode({ kind: "team" });
      case "access":
        return setMode({ kind: "access" });
      case "search":
        return setMode({ kind: "search" });
    }
  };
  const help = (title: string, sections: readonly HelpSection[]): void => setMode({ kind: "help", title, sections, back: mode });

  const homeKey = (input: string, key: Key): void => {
    if (key.return || key.escape || input === "h") return setMode(BROWSE);
    if (input === "q") return onQuit();
    const attention = attentionOf(vault, sticks);
    switch (input) {
      case "i":
        return attention.stick === undefined ? setMode({ kind: "import-path" }) : startImport(attention.stick.root);
      case "x":
        return setMode({ kind: "export-choice" });
      case "s":
        return setMode({ kind: "status" });
      case "p":
        return setMode({ kind: "access" });
      case "u": {
        const first = attention.urgent[0];
        if (first === undefined) return;
        setWanted(first.collection);
        setSelectedId(first.id);
        return setMode(BROWSE);
      }
      default:
        return;
    }
  };

  const formsAndWork = OWN_KEYS.has(mode.kind);
  useInput(
    (input, key) => {
      switch (mode.kind) {
        case "browse":
          return browse(input, key);
        case "home":
          return homeKey(input, key);
        case "export-choice":
          if (input === "u" || input === "q") return setMode({ kind: "export-path", target: input === "u" ? "usb" : "qr" });
          if (key.escape) return setMode(BROWSE);
          return;
        case "result":
          if (input === "r" && mode.receipts !== undefined && mode.receipts.length > 0) return setMode({ kind: "receipt", codes: mode.receipts, index: 0 });
          return setMode(BROWSE);
        case "receipt":
          if (!key.escape && mode.index + 1 < mode.codes.length) return setMode({ ...mode, index: mode.index + 1 });
          return setMode(BROWSE);
        case "status":
          // The ScrollView reads the scroll keys.
          if (actionOf(GLOBAL_KEYS, input, key) === "help") return help("Status", [{ title: "Status", keys: [...SCROLL_KEYS, ...STATUS_KEYS] }]);
          if (actionOf(STATUS_KEYS, input, key) === "back") setMode(BROWSE);
          return;
        case "log": {
          const total = auditLog(vault).length;
          if (actionOf(GLOBAL_KEYS, input, key) === "help") return help("Audit log", [{ title: "Audit log", keys: LOG_KEYS }]);
          switch (actionOf(LOG_KEYS, input, key)) {
            case "back":
              return setMode(BROWSE);
            case "up":
              return setMode({ kind: "log", offset: Math.max(0, mode.offset - 1) });
            case "down":
              return setMode({ kind: "log", offset: Math.min(bottomOf(total, bodyHeight - 1), mode.offset + 1) });
            case undefined:
              return;
          }
          return;
        }
        case "help":
          if (actionOf(HELP_KEYS, input, key) === "close") setMode(mode.back);
          return;
        default:
          return;
      }
    },
    { isActive: !formsAndWork && Screen === undefined },
  );

  const cancel = (): void => setMode(BROWSE);
  // The team and access screens report each change here and come back with esc.
  const screenMessage = (m: Message): void => {
    setMessage(m);
    refresh();
  };
  const backToNotes = (): void => {
    setMessage(undefined);
    setMode(BROWSE);
  };
  const collectionScreen = (c: CollectionTab): ReactElement =>
    Screen === undefined ? (
      <Text color="yellow">{`${c.id} holds "${c.app}" records, which this release of Airlock does not know: they are kept, and shown after an upgrade.`}</Text>
    ) : (
      // Keyed by collection: another collection of the same app starts afresh (masked, listing).
      <Screen
        key={c.id}
        vault={vault}
        collection={c.id}
        records={view.records}
        selectedId={selectedId}
        onSelect={setSelectedId}
        onMessage={screenMessage}
        onKey={browse}
        rows={listRows}
        now={now}
      />
    );
  let body: ReactElement;
  switch (mode.kind) {
    case "export-choice":
      body = <ExportChoice />;
      break;
    case "export-path": {
      const target = mode.target;
      body = (
        <Form
          title={target === "usb" ? "Export to a USB stick or folder" : "Export as QR frame images"}
          fields={[{ name: "folder", label: target === "usb" ? "USB folder" : "QR folder" }]}
          note="enter exports · esc cancels"
          onCancel={cancel}
          onSubmit={(v) => (v["folder"]!.trim() === "" ? cancel() : startExport(target, v["folder"]!))}
        />
      );
      break;
    }
    case "import-path":
      body = (
        <Form
          title="Import bundles"
          fields={[{ name: "path", label: "Path (bundle, USB folder, QR images or video), or camera [DEVICE]" }]}
          note="enter imports · esc cancels"
          onCancel={cancel}
          onSubmit={(v) => (v["path"]!.trim() === "" ? cancel() : startImport(v["path"]!))}
        />
      );
      break;
    case "working":
      body = <Working label={mode.label} progress={progress} />;
      break;
    case "camera":
      body = <CameraReceive device={mode.device} progress={progress} onStop={() => mode.stop.abort()} />;
      break;
    case "result":
      body = <ResultView title={mode.title} lines={mode.lines} warn={mode.warn} />;
      break;
    case "receipt":
      body = <Text> </Text>; // drawn alone, below
      break;
    case "status":
      body =
        view.status === undefined ? (
          <Text> </Text>
        ) : (
          <ScrollView height={bodyHeight - 1} active>
            <StatusView status={view.status} />
          </ScrollView>
        );
      break;
    case "log":
      // The log's box: borders and its heading around the rows.
      body = <LogView events={auditLog(vault)} offset={mode.offset} rows={Math.max(1, bodyHeight - 4)} />;
      break;
    case "help":
      body = <HelpOverlay title={mode.title} sections={mode.sections} height={bodyHeight - 1} />;
      break;
    case "access":
      body = (
        <AccessScreen
          vault={vault}
          onMessage={screenMessage}
          onBack={backToNotes}
        />
      );
      break;
    case "team":
      body = (
        <TeamScreen
          vault={vault}
          refuseLinked={spaces?.refuseLinked}
          rows={listRows}
          onMessage={screenMessage}
          onBack={backToNotes}
        />
      );
      break;
    case "search":
      body = (
        <SearchView
          vault={vault}
          rows={Math.max(1, bodyHeight - SEARCH_CHROME)}
          onBack={backToNotes}
          onOpen={(collection, id) => {
            setWanted(collection);
            setSelectedId(id);
            setMode(BROWSE);
          }}
        />
      );
      break;
    case "home":
      body = <Home attention={attentionOf(vault, sticks)} looking={sticks === undefined} />;
      break;
    case "browse":
      body = !inTeam ? (
        <NoTeam name={view.status?.me.name} />
      ) : view.collection === undefined ? (
        <Text color="yellow">No collection you can read on this device yet: import the latest bundles from an admin (press i).</Text>
      ) : (
        <Box flexDirection="column">
          <CollectionTabs collections={view.collections} collection={view.collection.id} />
          {collectionScreen(view.collection)}
        </Box>
      );
      break;
  }

  const mainKeys: KeyTable | undefined =
    mode.kind === "status"
      ? [...STATUS_KEYS, ...SCROLL_KEYS.slice(0, 4), ...GLOBAL_BAR.slice(0, 1)]
      : mode.kind === "log"
        ? [...LOG_KEYS, ...GLOBAL_BAR.slice(0, 1)]
        : mode.kind === "browse" && Screen === undefined
          ? GLOBAL_KEYS
          : undefined;
  if (mode.kind === "receipt") {
    // Alone on the screen: a receipt of up to 8 bundles is 21 rows, which fits 80x24 only without the header and bars.
    const more = mode.index + 1 < mode.codes.length;
    return (
      <Box flexDirection="column">
        {/* One Text per row: Text escapes control characters, a newline included. */}
        {mode.codes[mode.index]!.split("\n").map((row, i) => (
          <Text key={i}>{row}</Text>
        ))}
        <Text dimColor>{`Receipt ${mode.index + 1}/${mode.codes.length} for the courier's camera · any key: ${more ? "next code" : "done"}`}</Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column" height={size.rows - 1}>
      {view.status === undefined ? null : <Header status={view.status} space={spaces} />}
      <Box flexDirection="column" height={bodyHeight} overflow="hidden" flexShrink={0}>
        {body}
        {/* Screens with their own key line draw it; Main's own screens get theirs here. */}
        {mainKeys === undefined ? null : (
          <Box flexGrow={1} flexDirection="column" justifyContent="flex-end">
            <KeyBar keys={mainKeys} />
          </Box>
        )}
      </Box>
      <MessageLine message={shownMessage} columns={size.columns} />
    </Box>
  );
}
