/**
 * An events collection: events listed by their next occurrence (recurrences expanded as the
 * agenda does), the selected one in full with its coming occurrences. Times are shown in the
 * event's own zone with its offset, so a reader in another zone sees what was agreed. The form
 * edits title, times, zone, repeat rule and location; attendees, exceptions, moved occurrences
 * and notes are kept as they are (the CLI changes those).
 */
import { Box } from "ink";
import { useMemo, type ReactElement } from "react";
import { authorNames, noteOf } from "../../apps/notes/index.js";
import { newRecordId } from "../../apps/ids.js";
import { occurrences, zoneNamed, type Occurrence } from "../../apps/events/agenda.js";
import { checkEvent, type CalEvent } from "../../apps/events/event.js";
import { eventsError } from "../../apps/events/errors.js";
import { dateFromInput, knownZone, memberNames, nextDay, previousDay, systemZone, wallFromInput } from "../../apps/events/input.js";
import { whenText } from "../../apps/events/read.js";
import { eventIntents, eventOf } from "../../apps/events/record.js";
import { when } from "../../cli/format.js";
import { Field } from "../components/Field.js";
import { Form } from "../components/Form.js";
import { Text } from "../components/Text.js";
import { RecordScreen, type AppScreenProps, type Submit } from "./RecordScreen.js";

const UPCOMING = 5;
const YEAR_MS = 366 * 86_400_000;

/** "2026-03-30 09:00 +02:00" or "2026-04-03 (all day)". */
const shown = (o: Occurrence): string => (o.allDay ? `${o.start} (all day)` : `${o.start.slice(0, 10)} ${o.start.slice(11, 16)} ${o.start.slice(19)}`);

function EventDetail({ id, event, next, names, updated, authors }: { id: string; event: CalEvent; next: readonly Occurrence[]; names: ReadonlyMap<string, string>; updated: number; authors: readonly string[] }): ReactElement {
  const unknownZone = !event.allDay && zoneNamed(event.tz ?? "UTC") === undefined;
  return (
    <Box flexDirection="column">
      <Text bold>{event.title}</Text>
      <Text dimColor>id {id}</Text>
      <Field label="when" value={whenText(event)} width={12} />
      {unknownZone ? <Text color="red">its time zone is unknown to this system: times shown in UTC</Text> : null}
      {event.rrule === undefined ? null : <Field label="repeats" value={event.rrule} width={12} />}
      {event.location === undefined ? null : <Field label="location" value={event.location} width={12} />}
      {event.attendees.map((a) => (
        <Field key={a} label="attendee" value={names.get(a) ?? `former member ${a.slice(0, 8)}`} width={12} />
      ))}
      {event.guests.map((g, i) => (
        <Field key={`guest ${i}`} label="guest" value={g} width={12} />
      ))}
      {event.exdates.length === 0 ? null : <Field label="cancelled" value={String(event.exdates.length)} width={12} />}
      {event.rrule === undefined ? null : (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>{`Next (${next.length})`}</Text>
          {next.map((o) => (
            <Text key={`${o.startMs}`}>{`${shown(o)}${o.moved === true ? "  moved" : ""}`}</Text>
          ))}
        </Box>
      )}
      {event.notes === undefined ? null : (
        <Box flexDirection="column" marginTop={1}>
          <Text block>{event.notes}</Text>
        </Box>
      )}
      <Text dimColor>
        updated {when(updated)} by {authors.join(", ")}
      </Text>
    </Box>
  );
}

export function EventsView(props: AppScreenProps & { readonly now?: (() => number) | undefined }): ReactElement {
  const { vault, collection, records, onSelect } = props;
  const now = (props.now ?? Date.now)();
  const display = zoneNamed(systemZone())!;
  const events = useMemo(
    () =>
      records
        .map((record) => {
          const event = eventOf(record);
          const next = occurrences(record.id, event, { fromMs: now, toMs: now + YEAR_MS }, display).sort((a, b) => a.startMs - b.startMs).slice(0, UPCOMING);
          return { record, event, next };
        })
        // Coming events first, soonest first; past ones after, by title.
        .sort((a, b) => (a.next[0]?.startMs ?? Infinity) - (b.next[0]?.startMs ?? Infinity) || a.event.title.localeCompare(b.event.title) || (a.record.id < b.record.id ? -1 : 1)),
    [records, now, display],
  );
  const names = memberNames(vault.requireTeam());

  const form = (editing: string | undefined, submit: Submit, cancel: () => void): ReactElement => {
    const have = editing === undefined ? undefined : events.find((x) => x.record.id === editing);
    const old = have?.event;
    const lastDay = old?.allDay === true ? previousDay(old.end) : undefined;
    return (
      <Form
        title={old === undefined ? `New event in ${collection}` : `Edit “${old.title}”`}
        note="times as YYYY-MM-DDTHH:MM; a date alone makes an all-day event (end: its last day)"
        fields={[
          { name: "title", label: "Title", initial: old?.title ?? "" },
          { name: "start", label: "Start", initial: old === undefined ? "" : old.start.slice(0, 16) },
          { name: "end", label: "End", initial: old === undefined ? "" : (lastDay ?? old.end.slice(0, 16)) },
          { name: "tz", label: "Time zone", initial: old === undefined ? systemZone() : (old.tz ?? "") },
          { name: "rrule", label: "Repeats (RRULE)", initial: old?.rrule ?? "" },
          { name: "location", label: "Location", initial: old?.location ?? "" },
        ]}
        onCancel={cancel}
        onSubmit={(v) =>
          submit(() => {
            const start = v["start"]!.trim();
            const end = v["end"]!.trim();
            const allDay = dateFromInput(start) !== undefined;
            const tz = allDay ? undefined : knownZone(v["tz"]!.trim());
            const bad = (m: string): never => {
              throw eventsError("EVENTS_BAD_EVENT", m);
            };
            const times = allDay
              ? { start, end: nextDay(end === "" ? start : (dateFromInput(end) ?? bad("the end must be a date, the last day"))) }
              : { start: wallFromInput(start, tz!) ?? bad("the start must be YYYY-MM-DDTHH:MM"), end: wallFromInput(end, tz!) ?? bad("the end must be YYYY-MM-DDTHH:MM") };
            const rrule = v["rrule"]!.trim().replace(/^RRULE:/i, "").toUpperCase();
            const location = v["location"]!.trim();
            const base: CalEvent = old ?? { title: "", allDay, start: "", end: "", exdates: [], overrides: [], attendees: [], guests: [] };
            const { tz: _tz, rrule: _rrule, location: _location, ...rest } = base;
            const event = checkEvent(
              {
                ...rest,
                title: v["title"]!.trim(),
                allDay,
                ...times,
                ...(tz === undefined ? {} : { tz }),
                ...(rrule === "" ? {} : { rrule }),
                ...(location === "" ? {} : { location }),
              },
              old === undefined ? "the new event" : "this event",
            );
            const id = have?.record.id ?? newRecordId();
            const intents = eventIntents(id, event, have?.record);
            if (intents.length === 0) return "Nothing changed.";
            vault.write(collection, intents);
            if (have !== undefined) return `Updated “${event.title}”.`;
            onSelect(id);
            return `Added “${event.title}” to ${collection}.`;
          })
        }
      />
    );
  };

  return (
    <RecordScreen
      {...props}
      noun="event"
      heading="Calendar"
      empty="no events yet: press a to add one"
      listWidth={56}
      items={events.map(({ record, event, next }) => ({ id: record.id, title: event.title, details: [next[0] === undefined ? "(past)" : shown(next[0]).slice(0, 16), event.rrule === undefined ? "" : "repeats"] }))}
      help="a add · e edit · d delete"
      detail={(id) => {
        const x = events.find((e) => e.record.id === id)!;
        return <EventDetail id={id} event={x.event} next={x.next} names={names} updated={x.record.updated} authors={authorNames(vault, noteOf(x.record))} />;
      }}
      form={form}
    />
  );
}
