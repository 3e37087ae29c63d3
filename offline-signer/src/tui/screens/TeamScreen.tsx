/**
 * The team screen (`t`): members and their devices with fingerprints, and the admin actions of
 * `airlock members` and `airlock devices` — admit someone from their join request (file, QR
 * images or video; the fingerprint is shown *before* anything is signed, to compare with the
 * one on their screen), certify another laptop of mine, change a role, remove a member, revoke
 * a device. Every action goes through the same Vault methods as the commands, so the refusals
 * (not an admin, last owner, approvals) are theirs, shown on the message line.
 */
import { Box, useInput } from "ink";
import { Text } from "../components/Text.js";
import { useMemo, useState, type ReactElement } from "react";
import { quoted } from "@airlock/shared";
import { asRole } from "../../cli/format.js";
import type { Role } from "../../team/entry.js";
import { fingerprint, parseJoinRequest } from "../../vault/request.js";
import { teamRows, type TeamRow } from "../../vault/team-view.js";
import { readRequest } from "../../vault/transfer.js";
import type { Vault } from "../../vault/vault.js";
import { Form } from "../components/Form.js";
import { Picker } from "../components/Picker.js";
import { ROLE_CHOICES } from "../choices.js";
import { Working } from "../components/Working.js";
import { errorMessage, info, outcomeOf, pendingNote, type Message } from "../messages.js";

type Member = Extract<TeamRow, { kind: "member" }>;
type Device = Extract<TeamRow, { kind: "device" }>;

type Mode =
  | { readonly kind: "list" }
  | { readonly kind: "request-form"; readonly own: boolean }
  | { readonly kind: "reading"; readonly path: string }
  | { readonly kind: "confirm-add"; readonly bytes: Uint8Array; readonly name: string; readonly fingerprint: string; readonly role: Role | undefined }
  | { readonly kind: "role-form"; readonly member: Member }
  | { readonly kind: "confirm-remove"; readonly member: Member }
  | { readonly kind: "confirm-revoke"; readonly device: Device };

const LIST: Mode = { kind: "list" };
const KEYS = "a admit a person · n add my other laptop · r role · d remove member · v revoke device · esc back";

export interface TeamScreenProps {
  readonly vault: Vault;
  /** With several spaces: refuses (SPACE_LINKED) a request whose keys are in another space of this vault, before anything is signed. */
  readonly refuseLinked?: ((keys: readonly Uint8Array[]) => void) | undefined;
  readonly rows: number;
  /** A change was made or refused: Main shows the message and reads the vault again. */
  readonly onMessage: (message: Message) => void;
  readonly onBack: () => void;
}

export function TeamScreen({ vault, refuseLinked, rows, onMessage, onBack }: TeamScreenProps): ReactElement {
  const [mode, setMode] = useState<Mode>(LIST);
  const [version, setVersion] = useState(0);
  const [selected, setSelected] = useState(0);
  const [progress, setProgress] = useState<string | undefined>(undefined);
  // `version` is the only signal that the team changed.
  const list = useMemo(() => teamRows(vault), [vault, version]);
  const at = Math.min(selected, Math.max(0, list.length - 1));
  const row = list[at];

  const done = (message: Message): void => {
    onMessage(message);
    setVersion((v) => v + 1);
    setMode(LIST);
  };
  const attempt = (fn: () => string): void => done(outcomeOf(fn));

  const readFrom = (path: string, role: Role | undefined): void => {
    setMode({ kind: "reading", path });
    setProgress(undefined);
    void (async () => {
      try {
        const bytes = await readRequest(path, (line) => setProgress(line));
        const request = parseJoinRequest(bytes);
        // One request, one space, as `airlock members add` / `devices add` check (review F6): a new
        // member's user key too, a laptop of mine only its device keys.
        refuseLinked?.(role === undefined ? [request.device.sign, request.device.enc] : [request.device.sign, request.device.enc, request.user]);
        setMode({ kind: "confirm-add", bytes, name: request.name, fingerprint: fingerprint(request.device), role });
      } catch (e) {
        done(errorMessage(e));
      }
    })();
  };

  useInput(
    (input, key) => {
      switch (mode.kind) {
        case "list": {
          if (key.escape || input === "t" || input === "q") return onBack();
          if (key.upArrow || input === "k") return setSelected(Math.max(0, at - 1));
          if (key.downArrow || input === "j") return setSelected(Math.min(list.length - 1, at + 1));
          if (input === "a") return setMode({ kind: "request-form", own: false });
          if (input === "n") return setMode({ kind: "request-form", own: true });
          if (input === "r" || input === "d") {
            if (row?.kind !== "member") return onMessage({ kind: "error", text: "select a member (a line without a fingerprint) first" });
            return setMode(input === "r" ? { kind: "role-form", member: row } : { kind: "confirm-remove", member: row });
          }
          if (input === "v") {
            if (row?.kind !== "device") return onMessage({ kind: "error", text: "select a device (a line with a fingerprint) first" });
            return setMode({ kind: "confirm-revoke", device: row });
          }
          return;
        }
        case "confirm-add": {
          if (input !== "y") return done(info("Nobody was added."));
          const { bytes, role, name } = mode;
          return attempt(() => {
            if (role === undefined) {
              vault.addDevice(bytes);
              return `Certified ${name}'s new laptop. Export next: it carries the welcome.`;
            }
            const { entry } = vault.addMember(bytes, role);
            return `Added ${name} as ${role}. Export next: it carries their welcome.${pendingNote(vault, entry.hashHex)}`;
          });
        }
        case "confirm-remove": {
          if (input !== "y") return done(info("Nobody was removed."));
          const { member } = mode;
          return attempt(() => {
            const entry = vault.removeMember(member.userId);
            return `Removed ${member.name}; the keys of what they could read were rotated.${pendingNote(vault, entry.hashHex)}`;
          });
        }
        case "confirm-revoke": {
          if (input !== "y") return done(info("No device was revoked."));
          const { device } = mode;
          return attempt(() => {
            vault.revokeDevice(device.deviceId);
            return `Revoked ${device.name}'s device ${device.fingerprint}; keys it could read were rotated.`;
          });
        }
        default:
          return;
      }
    },
    { isActive: mode.kind === "list" || mode.kind.startsWith("confirm-") },
  );

  const cancel = (): void => setMode(LIST);
  switch (mode.kind) {
    case "request-form": {
      const own = mode.own;
      return (
        <Form
          title={own ? "Add another laptop of mine (its `airlock join --name <your name>` request)" : "Admit a person from their join request"}
          fields={own ? [{ name: "path", label: "Request (file, QR folder or video)" }] : [
            { name: "path", label: "Request (file, QR folder or video)" },
            { name: "role", label: "Role", initial: "editor", choices: ROLE_CHOICES },
          ]}
          note="enter reads the request and shows its fingerprint · esc cancels"
          onCancel={cancel}
          onSubmit={(v) => {
            if (v["path"]!.trim() === "") return cancel();
            try {
              readFrom(v["path"]!.trim(), own ? undefined : asRole(v["role"]!));
            } catch (e) {
              done(errorMessage(e));
            }
          }}
        />
      );
    }
    case "reading":
      return <Working label={`Reading the join request in ${mode.path}`} progress={progress} />;
    case "confirm-add":
      return (
        <Box flexDirection="column" borderStyle="round" paddingX={1}>
          <Text bold>{mode.role === undefined ? `Certify a new laptop for ${quoted(mode.name)}?` : `Admit ${quoted(mode.name)} as ${mode.role}?`}</Text>
          <Text>
            Fingerprint: <Text bold color="cyan">{mode.fingerprint}</Text>
          </Text>
          <Text>It must be the one shown on the new laptop's screen. Read it out together; if it differs, someone swapped the request.</Text>
          <Text color="yellow">y admits · any other key cancels</Text>
        </Box>
      );
    case "role-form":
      return (
        <Picker
          title={`New role for ${mode.member.name} (now ${mode.member.role})`}
          choices={ROLE_CHOICES}
          initial={mode.member.role}
          onCancel={cancel}
          onPick={(picked) => {
            // A refusal (the last owner, not an admin) throws: the picker stays and shows it.
            const member = mode.member;
            const role = asRole(picked);
            if (role === member.role) return done(info(`${member.name} stays ${role}.`));
            const entry = vault.setRole(member.userId, role);
            done(info(`${member.name} is now ${role}.${pendingNote(vault, entry.hashHex)}`));
          }}
        />
      );
    case "confirm-remove":
      return (
        <Box borderStyle="round" paddingX={1}>
          <Text color="red">
            Remove {mode.member.name} from the team? Their devices stop being accepted and they cannot read anything written afterwards. y removes · any other key keeps them
          </Text>
        </Box>
      );
    case "confirm-revoke":
      return (
        <Box borderStyle="round" paddingX={1}>
          <Text color="red">
            Revoke {mode.device.name}'s device {mode.device.fingerprint}? Use this for a lost or seized laptop. y revokes · any other key keeps it
          </Text>
        </Box>
      );
    case "list":
      return <TeamList list={list} at={at} rows={rows} />;
  }
}

function TeamList({ list, at, rows }: { readonly list: readonly TeamRow[]; readonly at: number; readonly rows: number }): ReactElement {
  const first = Math.max(0, Math.min(at - Math.floor(rows / 2), list.length - rows));
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text bold>Team ({list.filter((r) => r.kind === "member" && r.active).length} members)</Text>
      {list.slice(first, first + rows).map((r, i) => {
        const mark = first + i === at ? "›" : " ";
        if (r.kind === "member") {
          return (
            <Text key={`m${r.userId}`} wrap="truncate-end" inverse={first + i === at} dimColor={!r.active}>
              {mark} {r.name.padEnd(16)} {r.role.padEnd(7)} {r.active ? `${r.devices} device(s)` : "removed"}
              {r.me ? "  (you)" : ""}
            </Text>
          );
        }
        return (
          <Text key={`d${r.deviceId}`} wrap="truncate-end" inverse={first + i === at} dimColor={!r.active}>
            {mark}     laptop {r.fingerprint} {r.active ? "" : "revoked"}
            {r.thisDevice ? "  (this one)" : ""}
          </Text>
        );
      })}
      <Text dimColor>{KEYS}</Text>
    </Box>
  );
}
