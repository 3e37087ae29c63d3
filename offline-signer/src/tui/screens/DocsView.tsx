/**
 * A docs collection: documents listed by title with their accepted version and how many
 * proposals wait; the selected one shows the start of its accepted text and every proposal with
 * its state. The add form makes a document; the edit form proposes the shared draft's text as a
 * change (reviews stay on the command line, where the diff can be read in full).
 */
import { Box } from "ink";
import { useMemo, type ReactElement } from "react";
import { createDoc, draftOf, editDraft, propose, userName } from "../../apps/docs/ops.js";
import { docState, type DocState } from "../../apps/docs/review.js";
import { kindOf, settingsOf } from "../../apps/docs/record.js";
import { MAX_DOC_CHARS, SETTINGS_ID } from "../../apps/docs/schema.js";
import type { Vault } from "../../vault/vault.js";
import { Form } from "../components/Form.js";
import { onField } from "../messages.js";
import { AirlockError } from "@airlock/shared";
import { Text } from "../components/Text.js";
import { RecordScreen, type AppScreenProps, type Submit } from "./RecordScreen.js";

/** Lines of the accepted text the detail pane shows. */
const PREVIEW_LINES = 12;

function DocDetail({ vault, doc }: { vault: Vault; doc: DocState }): ReactElement {
  const head = doc.versions[doc.versions.length - 1]!;
  const lines = head.text.split("\n");
  return (
    <Box flexDirection="column">
      <Text bold>{doc.title === "" ? "(no title)" : doc.title}</Text>
      <Text dimColor>{`id ${doc.id} · version ${head.n} by ${userName(vault, head.by)}${head.approvers.length === 0 ? "" : `, approved by ${head.approvers.map((u) => userName(vault, u)).join(", ")}`}`}</Text>
      <Box flexDirection="column" marginTop={1}>
        <Text block>{lines.slice(0, PREVIEW_LINES).join("\n") + (lines.length > PREVIEW_LINES ? "\n…" : "")}</Text>
      </Box>
      {doc.proposals.length === 0 ? null : (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>Proposals</Text>
          {doc.proposals.map((p) => (
            <Text key={p.proposal.id}>{`${p.proposal.id.slice(0, 8)}  ${p.state}${p.version === undefined ? "" : ` as v${p.version}`}  by ${userName(vault, p.proposal.by)}  ${p.proposal.message}`}</Text>
          ))}
        </Box>
      )}
    </Box>
  );
}

export function DocsView(props: AppScreenProps): ReactElement {
  const { vault, collection, records, onSelect } = props;
  const docs = useMemo(() => {
    const settings = settingsOf(records.find((r) => r.id === SETTINGS_ID));
    const state = vault.state();
    const proposals = records.filter((r) => kindOf(r) === "proposal");
    return records
      .filter((r) => kindOf(r) === "doc")
      .map((r) => docState(r, proposals.filter((p) => p.fields["doc"] === r.id), settings, state))
      .sort((a, b) => a.title.localeCompare(b.title) || (a.id < b.id ? -1 : 1));
  }, [records, vault]);

  const form = (editing: string | undefined, submit: Submit, cancel: () => void): ReactElement => {
    const doc = editing === undefined ? undefined : docs.find((d) => d.id === editing);
    if (doc === undefined) {
      return (
        <Form
          title={`New document in ${collection}`}
          fields={[
            { name: "title", label: "Title", initial: "", maxLength: 512 },
            { name: "text", label: "Text (blank: a heading)", initial: "", multiline: true, maxLength: MAX_DOC_CHARS },
          ]}
          onCancel={cancel}
          onSubmit={(v) =>
            submit(() => {
              const title = v["title"]!.trim();
              if (title === "") throw onField("title", new AirlockError("VAULT_BAD_ARGUMENT", "a document needs a title", { hint: "type one in the first field" }));
              const text = v["text"]!.trim() === "" ? `# ${title}\n` : v["text"]!;
              const { id } = createDoc(vault, collection, title, text.endsWith("\n") ? text : `${text}\n`);
              onSelect(id);
              return `Created “${title}”; e proposes changes to its draft.`;
            })
          }
        />
      );
    }
    const draft = draftOf(vault, collection, doc.id);
    return (
      <Form
        title={`Propose the draft of “${doc.title}”`}
        fields={[
          { name: "message", label: "What changes", initial: "", maxLength: 1024 },
          { name: "text", label: "Draft", initial: draft, multiline: true, maxLength: MAX_DOC_CHARS },
        ]}
        onCancel={cancel}
        onSubmit={(v) =>
          submit(() => {
            // The shared draft takes this text first, so what is proposed is what others see as the draft.
            if (v["text"] !== draft) editDraft(vault, collection, doc.id, v["text"]!);
            const text = draftOf(vault, collection, doc.id);
            if (text === doc.versions[doc.versions.length - 1]!.text) throw onField("text", new AirlockError("VAULT_BAD_ARGUMENT", "the draft says what the accepted version says", { hint: "change the draft first" }));
            const { id } = propose(vault, collection, doc.id, text, v["message"]!.trim());
            return `Proposed ${id}; reviewers see it with: airlock docs diff ${id}`;
          })
        }
      />
    );
  };

  return (
    <RecordScreen
      {...props}
      noun="document"
      heading="Documents"
      empty="no documents yet: press a to add one"
      listWidth={48}
      items={docs.map((d) => {
        const pending = d.proposals.filter((p) => p.state === "pending").length;
        return { id: d.id, title: d.title, details: [`v${d.versions.length}`, pending === 0 ? "" : `${pending} pending`] };
      })}
      help="a add · e propose the draft · d delete"
      detail={(id) => <DocDetail vault={vault} doc={docs.find((d) => d.id === id)!} />}
      form={form}
    />
  );
}
