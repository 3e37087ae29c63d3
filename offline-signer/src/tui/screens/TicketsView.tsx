/**
 * A tickets collection: urgent open tickets first (and named in a line above the list), then by
 * priority and due date; the selected one in full with its comments and recent history. The
 * writes are the ones `airlock tickets …` makes (apps/tickets/write.ts): a for a new ticket, e to
 * edit, c to comment, s to move its status.
 */
import { Box } from "ink";
import { useMemo, type ReactElement } from "react";
import type { Intent } from "../../apps/app.js";
import { ticketsError } from "../../apps/tickets/errors.js";
import { MAX_COMMENT, MAX_DESCRIPTION, MAX_TITLE, PRIORITIES, STATUSES, type Priority } from "../../apps/tickets/schema.js";
import { isOverdue, isUrgent, localDate, shortComment, sortTickets, statusArg, ticketOf, TRANSITIONS, type Ticket } from "../../apps/tickets/ticket.js";
import { historyText, nameOf } from "../../apps/tickets/urgent.js";
import { addTicket, assignIntents, commentIntents, editIntents, myUser, statusIntents } from "../../apps/tickets/write.js";
import { when } from "../../cli/format.js";
import type { Vault } from "../../vault/vault.js";
import { Field } from "../components/Field.js";
import { Form } from "../components/Form.js";
import { Text } from "../components/Text.js";
import { memberChoices } from "../choices.js";
import type { Choice } from "../components/Picker.js";
import { RecordScreen, type AppScreenProps, type Submit } from "./RecordScreen.js";

const HISTORY_SHOWN = 6;

function priorityOf(raw: string): Priority {
  const p = raw.trim().toLowerCase();
  if (!(PRIORITIES as readonly string[]).includes(p)) throw ticketsError("TICKETS_BAD_VALUE", `"${raw.slice(0, 20)}" is not a priority (low, normal, high, urgent)`);
  return p as Priority;
}

/** An assignee typed in the form: blank for nobody, else a member active now. */
function assigneeOf(vault: Vault, raw: string): string | null {
  if (raw.trim() === "") return null;
  const u = vault.findUser(raw.trim());
  if (!u.active) throw ticketsError("TICKETS_BAD_VALUE", `${u.name} was removed from the team and cannot be assigned`);
  return u.id;
}

/** Nobody, the active members, and a current assignee who has since been removed (kept unless changed). */
function assigneeChoices(vault: Vault, current: string | undefined): Choice[] {
  const choices = memberChoices(vault, "nobody");
  if (current !== undefined && !choices.some((c) => c.value === current)) choices.push({ value: current, label: `${nameOf(vault, current)} (removed)` });
  return choices;
}

const labelsOf = (raw: string): string[] => [...new Set(raw.split(",").map((l) => l.trim()).filter((l) => l !== ""))];

function TicketDetail({ vault, ticket: t, today }: { readonly vault: Vault; readonly ticket: Ticket; readonly today: string }): ReactElement {
  const comments = t.comments.filter((c) => c.body !== "");
  return (
    <Box flexDirection="column">
      <Text bold>{t.title === "" ? "(no title)" : t.title}</Text>
      <Text dimColor>id {t.id}</Text>
      {isUrgent(t) ? <Text color="red">URGENT</Text> : null}
      <Field label="status" value={t.status} />
      <Field label="priority" value={t.priority} />
      <Field label="assignee" value={t.assignee === undefined ? "nobody" : nameOf(vault, t.assignee)} />
      {t.reporter === undefined ? null : <Field label="reporter" value={nameOf(vault, t.reporter)} />}
      {t.due === undefined ? null : <Field label="due" value={isOverdue(t, today) ? `${t.due} (overdue)` : t.due} />}
      {t.labels.length === 0 ? null : <Field label="labels" value={t.labels.join(", ")} />}
      {t.description === "" ? null : (
        <Box marginTop={1}>
          <Text block>{t.description}</Text>
        </Box>
      )}
      {comments.length === 0 ? null : <Text bold>{`Comments (${comments.length})`}</Text>}
      {comments.map((c) => (
        <Box key={c.id} flexDirection="column">
          <Text dimColor>{`${nameOf(vault, c.author)}, ${when(c.created)}${c.edited === undefined ? "" : " (edited)"} · ${shortComment(c.id)}`}</Text>
          <Text block>{c.body}</Text>
        </Box>
      ))}
      {t.history.length === 0 ? null : <Text bold>History</Text>}
      {t.history.slice(-HISTORY_SHOWN).map((h, i) => (
        <Text key={`h ${i}`} dimColor wrap="truncate-end">{`${when(h.at)}  ${nameOf(vault, h.user)}  ${historyText(vault, h.what)}`}</Text>
      ))}
    </Box>
  );
}

export function TicketsView(props: AppScreenProps & { readonly now?: (() => number) | undefined }): ReactElement {
  const { vault, collection, records, onSelect } = props;
  const now = props.now ?? Date.now;
  const today = localDate(now());
  const tickets = useMemo(() => sortTickets(records.map(ticketOf)), [records]);
  const urgent = tickets.filter(isUrgent);

  const form = (editing: string | undefined, submit: Submit, cancel: () => void): ReactElement => {
    const have = editing === undefined ? undefined : records.find((r) => r.id === editing);
    const old = have === undefined ? undefined : ticketOf(have);
    return (
      <Form
        title={old === undefined ? `New ticket in ${collection}` : `Edit “${old.title}”`}
        fields={[
          { name: "title", label: "Title", initial: old?.title ?? "", maxLength: MAX_TITLE },
          { name: "description", label: "Description", initial: old?.description ?? "", multiline: true, maxLength: MAX_DESCRIPTION },
          { name: "priority", label: "Priority", initial: old?.priority ?? "normal", choices: PRIORITIES.map((p) => ({ value: p })) },
          { name: "assignee", label: "Assignee", initial: old?.assignee ?? "", choices: assigneeChoices(vault, old?.assignee) },
          { name: "due", label: "Due (YYYY-MM-DD)", initial: old?.due ?? "" },
          { name: "labels", label: "Labels (comma-separated)", initial: old?.labels.join(", ") ?? "" },
        ]}
        onCancel={cancel}
        onSubmit={(v) =>
          submit(() => {
            const priority = priorityOf(v["priority"]!);
            // An assignee left as it was stays, even one removed from the team since.
            const assignee = old !== undefined && v["assignee"] === (old.assignee ?? "") ? (old.assignee ?? null) : assigneeOf(vault, v["assignee"]!);
            const due = v["due"]!.trim();
            const labels = labelsOf(v["labels"]!);
            if (have === undefined || old === undefined) {
              const { id } = addTicket(vault, collection, { title: v["title"]!, description: v["description"], priority, assignee: assignee ?? undefined, due: due === "" ? undefined : due, labels }, now());
              onSelect(id);
              return `Opened “${v["title"]!.trim()}” in ${collection}.`;
            }
            const me = myUser(vault);
            const intents: Intent[] = [
              ...editIntents(have, me, now(), {
                title: v["title"],
                description: v["description"],
                priority,
                due: due === "" ? null : due,
                addLabels: labels.filter((l) => !old.labels.includes(l)),
                removeLabels: old.labels.filter((l) => !labels.includes(l)),
              }),
              ...assignIntents(have, me, now(), assignee),
            ];
            if (intents.length === 0) return "Nothing changed.";
            vault.write(collection, intents);
            return `Updated “${old.title}”.`;
          })
        }
      />
    );
  };

  return (
    <Box flexDirection="column">
      {urgent.length === 0 ? null : <Text color="red" wrap="truncate-end">{`Urgent (${urgent.length}): ${urgent.map((t) => t.title).join(" · ")}`}</Text>}
      <RecordScreen
        {...props}
        rows={urgent.length === 0 ? props.rows : Math.max(1, props.rows - 1)}
        noun="ticket"
        heading="Tickets"
        empty="no tickets yet: press a to open one"
        listWidth={52}
        items={tickets.map((t) => ({ id: t.id, title: `${isUrgent(t) ? "! " : ""}${t.title}`, details: [t.status, t.assignee === undefined ? "" : nameOf(vault, t.assignee)] }))}
        help="a add · e edit · c comment · m move (status) · d delete"
        onAppKey={(input, _key, id, { writeForm, refuse }) => {
          if (input !== "c" && input !== "m") return false;
          const have = records.find((r) => r.id === id);
          if (have === undefined) {
            refuse("no ticket selected");
            return true;
          }
          const t = ticketOf(have);
          writeForm((submit, cancel) =>
            input === "c" ? (
              <Form
                title={`Comment on “${t.title}”`}
                fields={[{ name: "text", label: "Comment", maxLength: MAX_COMMENT }]}
                onCancel={cancel}
                onSubmit={(v) =>
                  submit(() => {
                    if (v["text"]!.trim() === "") return "No comment added.";
                    vault.write(collection, commentIntents(have, myUser(vault), now(), v["text"]!).intents);
                    return `Commented on “${t.title}”.`;
                  })
                }
              />
            ) : (
              <Form
                title={`Status of “${t.title}” (now ${t.status})`}
                fields={[{ name: "status", label: "Status", initial: t.status, choices: STATUSES.map((x) => ({ value: x, hint: x === t.status || TRANSITIONS[t.status].includes(x) ? undefined : `not from ${t.status}` })) }]}
                onCancel={cancel}
                onSubmit={(v) =>
                  submit(() => {
                    const to = statusArg(v["status"]!);
                    if (to === undefined) throw ticketsError("TICKETS_BAD_VALUE", `"${v["status"]!.slice(0, 20)}" is not a status (open, in progress, blocked, done)`);
                    const intents = statusIntents(have, myUser(vault), now(), to);
                    if (intents.length === 0) return "Nothing changed.";
                    vault.write(collection, intents);
                    return `“${t.title}” is now ${to}.`;
                  })
                }
              />
            ),
          );
          return true;
        }}
        detail={(id) => <TicketDetail vault={vault} ticket={tickets.find((t) => t.id === id)!} today={today} />}
        form={form}
      />
    </Box>
  );
}
