/**
 * The first run: no vault at --home yet. A short wizard does what `airlock init` or `airlock
 * join` do, with the same vault functions (Vault.create, vault.init, vault.joinRequest): start a
 * team here, or ask to join one. The passphrase is typed twice with a strength meter; for a
 * join, the request is shown as QR codes and written to a stick or folder the user picks, with
 * the fingerprint to compare with the admin's screen. NoTeam is what a vault without a team shows.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Box, useInput } from "ink";
import { useEffect, useState, type ReactElement } from "react";
import { AirlockError } from "@airlock/shared";
import { checkName } from "../../vault/names.js";
import { fingerprint, type JoinRequest } from "../../vault/request.js";
import { Vault } from "../../vault/vault.js";
import { Form } from "../components/Form.js";
import { JoinQr } from "../components/JoinQr.js";
import { NewPassphrase } from "../components/NewPassphrase.js";
import { Text } from "../components/Text.js";
import { Working } from "../components/Working.js";
import { errorMessage, onField, type Message } from "../messages.js";
import { mountedFolders } from "../sticks.js";
import { useTerminalSize } from "../terminal.js";
import { MessageLine } from "../components/MessageLine.js";

type Step =
  | { readonly kind: "choose" }
  | { readonly kind: "names"; readonly join: boolean }
  | { readonly kind: "passphrase"; readonly join: boolean; readonly team: string; readonly name: string }
  | { readonly kind: "creating" }
  | { readonly kind: "request"; readonly vault: Vault; readonly name: string; readonly request: JoinRequest; readonly stick: string; readonly written?: string | undefined };

export interface FirstRunProps {
  readonly home: string;
  readonly kdf?: "test-insecure" | undefined;
  /** The new vault, open: created with its team, or waiting for an admin's welcome. */
  readonly onOpen: (vault: Vault) => void;
  readonly onQuit: () => void;
}

/** A file name from a person's name: letters, digits, dot, dash and underscore kept. */
const fileNameOf = (name: string): string => `${name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.-]+/, "") || "request"}.airlock-join`;

export function FirstRun({ home, kdf, onOpen, onQuit }: FirstRunProps): ReactElement {
  const [step, setStep] = useState<Step>({ kind: "choose" });
  const [message, setMessage] = useState<Message | undefined>(undefined);
  const size = useTerminalSize();
  const [stick, setStick] = useState("");
  useEffect(() => {
    let live = true;
    void mountedFolders().then((found) => {
      if (live && found[0] !== undefined) setStick(found[0]);
    });
    return () => {
      live = false;
    };
  }, []);

  useInput(
    (input, key) => {
      if (step.kind === "choose") {
        if (input === "c" || input === "j") return setStep({ kind: "names", join: input === "j" });
        if (input === "q" || key.escape) return onQuit();
      }
      if (step.kind === "request" && step.written !== undefined && (key.return || key.escape)) onOpen(step.vault);
    },
    { isActive: step.kind === "choose" || (step.kind === "request" && step.written !== undefined) },
  );

  const create = (s: Extract<Step, { kind: "passphrase" }>, passphrase: Uint8Array): void => {
    setStep({ kind: "creating" });
    void (async () => {
      let vault: Vault | undefined;
      try {
        vault = await Vault.create(home, passphrase, kdf === undefined ? {} : { kdf });
        if (!s.join) {
          vault.init(s.team, s.name);
          return onOpen(vault);
        }
        setStep({ kind: "request", vault, name: s.name, request: vault.joinRequest(s.name), stick });
      } catch (e) {
        vault?.close();
        setMessage(errorMessage(e));
        setStep({ kind: "choose" });
      } finally {
        passphrase.fill(0);
      }
    })();
  };

  switch (step.kind) {
    case "choose":
      return (
        <Box flexDirection="column" borderStyle="round" paddingX={1}>
          <Text bold>No vault at {home}</Text>
          <Text>Set one up here (the same as the commands in brackets):</Text>
          <Text>
            <Text bold color="cyan">c </Text> start a new team, with you as its owner (airlock init)
          </Text>
          <Text>
            <Text bold color="cyan">j </Text> join a team someone else started: write a request for an admin (airlock join)
          </Text>
          <Text dimColor>Or quit and point --home / AIRLOCK_HOME at an existing vault.</Text>
          <MessageLine message={message} columns={size.columns} />
          <Text dimColor>c create · j join · q quit</Text>
        </Box>
      );
    case "names": {
      const joining = step.join;
      return (
        <Form
          title={joining ? "Join a team: your name as the team will see it" : "Start a team"}
          fields={joining ? [{ name: "name", label: "Your name", maxLength: 64 }] : [
            { name: "team", label: "Team name", maxLength: 64 },
            { name: "name", label: "Your name", maxLength: 64 },
          ]}
          onCancel={() => setStep({ kind: "choose" })}
          onSubmit={(v) => {
            const team = joining ? "" : (v["team"] ?? "").trim();
            const name = v["name"]!.trim();
            if (!joining) {
              if (team === "") throw onField("team", new AirlockError("VAULT_BAD_ARGUMENT", "a team needs a name"));
              try {
                checkName(team, "team name");
              } catch (e) {
                throw onField("team", e as Error);
              }
            }
            if (name === "") throw onField("name", new AirlockError("VAULT_BAD_ARGUMENT", "the team needs your name"));
            try {
              checkName(name, "name");
            } catch (e) {
              throw onField("name", e as Error);
            }
            setStep({ kind: "passphrase", join: joining, team, name });
          }}
        />
      );
    }
    case "passphrase": {
      const s = step;
      return (
        <Box flexDirection="column" borderStyle="round" paddingX={1}>
          <Text bold>A passphrase for this vault</Text>
          <Text>It encrypts everything here. Nobody can reset it: keep it in your head or a safe place.</Text>
          <NewPassphrase onDone={(p) => create(s, p)} onCancel={() => setStep({ kind: "choose" })} />
        </Box>
      );
    }
    case "creating":
      return <Working label={`Creating the vault at ${home}`} />;
    case "request": {
      const s = step;
      const fp = fingerprint(s.request.device);
      return (
        <Box flexDirection="column">
          <Text bold>{`Join request for ${s.name}`}</Text>
          <Text>
            Fingerprint: <Text bold color="cyan">{fp}</Text>
            {"  (the admin sees the same code when adding you: compare them)"}
          </Text>
          {/* The code takes the room the lines above and the form below leave. */}
          <JoinQr request={s.request.bytes} room={size} besides={12} />
          {s.written === undefined ? (
            <Form
              title="Write the request to a stick or folder"
              fields={[{ name: "folder", label: "Folder", initial: s.stick }]}
              note="enter writes · esc skips (the QR codes above are enough)"
              onCancel={() => setStep({ ...s, written: "" })}
              onSubmit={(v) => {
                const folder = v["folder"]!.trim();
                if (folder === "") throw onField("folder", new AirlockError("VAULT_BAD_ARGUMENT", "give a folder: a mounted stick, or any folder"));
                const file = join(folder, fileNameOf(s.name));
                try {
                  // wx: an older request there is never overwritten without a word.
                  writeFileSync(file, s.request.bytes, { flag: "wx", mode: 0o644 });
                } catch (e) {
                  const code = (e as NodeJS.ErrnoException).code;
                  throw onField("folder", new AirlockError("VAULT_BAD_ARGUMENT", code === "EEXIST" ? `${file} already exists` : `cannot write ${file} (${code ?? "error"})`, { hint: code === "EEXIST" ? "remove it, or pick another folder" : "check the folder exists and the stick is mounted writable" }));
                }
                setStep({ ...s, written: file });
              }}
            />
          ) : (
            <Box flexDirection="column">
              {s.written === "" ? null : <Text color="green">{`Wrote ${s.written}: carry it to an admin.`}</Text>}
              <Text>When the admin has added you and exported, import what they give you (i on the next screen).</Text>
              <Text dimColor>enter goes on</Text>
            </Box>
          )}
        </Box>
      );
    }
  }
}

export function NoTeam({ name }: { readonly name: string | undefined }): ReactElement {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>This vault is not in a team yet{name === undefined ? "" : ` (you asked to join as ${name})`}.</Text>
      <Text> </Text>
      <Text>If you have not yet: write a join request and carry it to an admin:</Text>
      <Text color="cyan">  airlock join --name YOUR-NAME --out request.airlock-join</Text>
      <Text>When the admin has added you and exported, press i and give the USB folder or bundle path.</Text>
      <Text>To start a new team here instead:</Text>
      <Text color="cyan">  airlock init --team "Field office" --name YOUR-NAME</Text>
      <Text> </Text>
      <Text dimColor>i import · s status · q quit</Text>
    </Box>
  );
}
