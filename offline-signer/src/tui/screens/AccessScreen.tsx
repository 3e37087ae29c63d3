/**
 * The access screen (`p`): collections with who may read and write them, and the critical
 * changes waiting for admin approvals — the `airlock collections` and `airlock approvals`
 * commands as a screen. Creating a collection or changing a policy seals keys to exactly the
 * readers the policy names (a policy change always rotates the key), through the same Vault
 * methods as the commands; their refusals show on the message line.
 */
import { Box, useInput } from "ink";
import { Text } from "../components/Text.js";
import { useMemo, useState, type ReactElement } from "react";
import { asRole, short } from "../../cli/format.js";
import { checkName } from "../../vault/names.js";
import { vaultStatus, type PendingApproval, type VaultStatus } from "../../vault/report.js";
import type { Vault } from "../../vault/vault.js";
import { Form } from "../components/Form.js";
import { ROLE_CHOICES } from "../choices.js";
import { info, outcomeOf, pendingNote, type Message } from "../messages.js";

type Collection = VaultStatus["collections"][number];
type Row = { readonly kind: "collection"; readonly c: Collection } | { readonly kind: "approval"; readonly p: PendingApproval };

type Mode =
  | { readonly kind: "list" }
  | { readonly kind: "new-collection" }
  | { readonly kind: "policy"; readonly c: Collection }
  | { readonly kind: "confirm-approve"; readonly p: PendingApproval };

const LIST: Mode = { kind: "list" };
const KEYS = "a new collection · e change who reads/writes · y approve the selected change · esc back";

export interface AccessScreenProps {
  readonly vault: Vault;
  readonly onMessage: (message: Message) => void;
  readonly onBack: () => void;
}

export function AccessScreen({ vault, onMessage, onBack }: AccessScreenProps): ReactElement {
  const [mode, setMode] = useState<Mode>(LIST);
  const [version, setVersion] = useState(0);
  const [selected, setSelected] = useState(0);
  // `version` is the only signal that the team changed.
  const status = useMemo(() => vaultStatus(vault), [vault, version]);
  const rows: Row[] = [...status.collections.map((c) => ({ kind: "collection" as const, c })), ...status.pendingApprovals.map((p) => ({ kind: "approval" as const, p }))];
  const at = Math.min(selected, Math.max(0, rows.length - 1));
  const row = rows[at];

  const attempt = (fn: () => string): void => {
    onMessage(outcomeOf(fn));
    setVersion((v) => v + 1);
    setMode(LIST);
  };

  // From a form: a refusal throws on to it, and it stays open with what was typed.
  const save = (fn: () => string): void => {
    const text = fn();
    onMessage(info(text));
    setVersion((v) => v + 1);
    setMode(LIST);
  };

  useInput(
    (input, key) => {
      if (mode.kind === "confirm-approve") {
        const { p } = mode;
        if (input !== "y") return attempt(() => "Not approved.");
        return attempt(() => {
          vault.approve(p.id);
          return `Approved: ${p.what}. Export so the other vaults count it.`;
        });
      }
      if (key.escape || input === "p" || input === "q") return onBack();
      if (key.upArrow || input === "k") return setSelected(Math.max(0, at - 1));
      if (key.downArrow || input === "j") return setSelected(Math.min(rows.length - 1, at + 1));
      if (input === "a") return setMode({ kind: "new-collection" });
      if (input === "e") {
        if (row?.kind !== "collection") return onMessage({ kind: "error", text: "select a collection first" });
        return setMode({ kind: "policy", c: row.c });
      }
      if (input === "y") {
        if (row?.kind !== "approval") return onMessage({ kind: "error", text: "select a change waiting for approval first" });
        return setMode({ kind: "confirm-approve", p: row.p });
      }
    },
    { isActive: mode.kind === "list" || mode.kind === "confirm-approve" },
  );

  const cancel = (): void => setMode(LIST);
  switch (mode.kind) {
    case "new-collection":
      return (
        <Form
          title="New collection (its key goes to every device whose role may read it)"
          fields={[
            { name: "id", label: "Id (lowercase letters, digits, dashes)" },
            { name: "name", label: "Name" },
            { name: "read", label: "Who reads (lowest role)", initial: "editor", choices: ROLE_CHOICES },
            { name: "write", label: "Who writes (lowest role)", initial: "editor", choices: ROLE_CHOICES },
          ]}
          onCancel={cancel}
          onSubmit={(v) =>
            save(() => {
              const id = v["id"]!.trim();
              const entry = vault.createCollection(id, checkName(v["name"]!.trim() === "" ? id : v["name"]!.trim(), "collection name"), asRole(v["read"]!), asRole(v["write"]!));
              return `Created ${id}.${pendingNote(vault, entry.hashHex)}`;
            })
          }
        />
      );
    case "policy": {
      const c = mode.c;
      return (
        <Form
          title={`Who may read and write ${c.id} (now ${c.read}+ / ${c.write}+; a change gives it a new key)`}
          fields={[
            { name: "read", label: "Who reads (lowest role)", initial: c.read, choices: ROLE_CHOICES },
            { name: "write", label: "Who writes (lowest role)", initial: c.write, choices: ROLE_CHOICES },
          ]}
          onCancel={cancel}
          onSubmit={(v) =>
            save(() => {
              const entry = vault.setPolicy(c.id, asRole(v["read"]!), asRole(v["write"]!));
              return `${c.id}: read ${v["read"]!.trim()}+, write ${v["write"]!.trim()}+, new key.${pendingNote(vault, entry.hashHex)}`;
            })
          }
        />
      );
    }
    case "confirm-approve":
      return (
        <Box flexDirection="column" borderStyle="round" paddingX={1}>
          <Text bold>Approve this change?</Text>
          <Text>
            {mode.p.what} — proposed by {mode.p.proposer}, {mode.p.approvals}/{mode.p.required} approvals so far
          </Text>
          <Text color="yellow">y approves · any other key does not</Text>
        </Box>
      );
    case "list":
      return (
        <Box flexDirection="column" borderStyle="single" paddingX={1}>
          <Text bold>Collections ({status.collections.length})</Text>
          {status.collections.map((c, i) => (
            <Text key={`c${c.id}`} wrap="truncate-end" inverse={i === at}>
              {i === at ? "›" : " "} {c.id.padEnd(16)} read {`${c.read}+`.padEnd(8)} write {`${c.write}+`.padEnd(8)} {c.canRead ? `${c.records} record(s)` : "no key on this device"}
            </Text>
          ))}
          <Text bold>Waiting for approval ({status.pendingApprovals.length})</Text>
          {status.pendingApprovals.map((p, j) => {
            const i = status.collections.length + j;
            return (
              <Text key={`p${p.id}`} wrap="truncate-end" inverse={i === at}>
                {i === at ? "›" : " "} {short(p.id)} {p.what} (by {p.proposer}) {p.approvals}/{p.required}
                {p.approvedByMe ? " · you approved" : ""}
              </Text>
            );
          })}
          {status.pendingApprovals.length === 0 ? <Text dimColor>  nothing</Text> : null}
          <Text dimColor>{KEYS}</Text>
        </Box>
      );
  }
}
