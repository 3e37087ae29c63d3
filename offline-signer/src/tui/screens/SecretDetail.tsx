/**
 * One login in the detail pane. The password, the TOTP secret and hidden custom fields are
 * masked unless `revealed`; the current TOTP code is always shown, as an authenticator app
 * does, since it is worth nothing half a minute later.
 */
import { Box } from "ink";
import type { ReactElement } from "react";
import { when } from "../../cli/format.js";
import type { SecretItem } from "../../apps/secrets/item.js";
import { totpCode } from "../../apps/secrets/totp.js";
import { Field, MASK } from "../components/Field.js";
import { Text } from "../components/Text.js";

export interface SecretDetailProps {
  readonly id: string;
  readonly item: SecretItem;
  readonly revealed: boolean;
  readonly nowMs: number;
  readonly updated: number;
  readonly authors: readonly string[];
}

/** The code now, or why there is none: a member may have stored a value this release cannot read. */
function currentCode(uri: string, nowMs: number): string {
  try {
    const { code, secondsLeft } = totpCode(uri, nowMs);
    return `${code}  (${secondsLeft} s left)`;
  } catch {
    return "(unreadable TOTP setting)";
  }
}

export function SecretDetail({ id, item, revealed, nowMs, updated, authors }: SecretDetailProps): ReactElement {
  const hide = (value: string): string => (revealed ? value : MASK);
  return (
    <Box flexDirection="column">
      <Text bold>{item.title === "" ? "(untitled)" : item.title}</Text>
      <Text dimColor>id {id}</Text>
      {item.username === undefined ? null : <Field label="username" value={item.username} />}
      {item.password === undefined ? null : <Field label="password" value={hide(item.password)} />}
      {item.totp === undefined ? null : <Field label="TOTP code" value={currentCode(item.totp, nowMs)} />}
      {item.totp === undefined ? null : <Field label="TOTP secret" value={hide(item.totp)} />}
      {item.urls.map((u) => (
        <Field key={`url ${u}`} label="url" value={u} />
      ))}
      {item.fields.map((f, i) => (
        <Field key={`field ${i}`} label={f.name} value={f.hidden ? hide(f.value) : f.value} />
      ))}
      {item.tags.length > 0 ? <Field label="tags" value={item.tags.join(", ")} /> : null}
      {item.notes === undefined ? null : (
        <Box flexDirection="column" marginTop={1}>
          <Text block>{item.notes}</Text>
        </Box>
      )}
      <Text dimColor>
        updated {when(updated)} by {authors.join(", ")}
      </Text>
      <Text dimColor>{revealed ? "r hides the secrets again" : "r reveals the password and secrets"}</Text>
    </Box>
  );
}
