/** `airlock events …`: the team's calendar on the command line. */
import { randomUUID } from "node:crypto";
import { Args, Flags } from "@oclif/core";
import { safe } from "@airlock/shared";
import { VaultCommand } from "../../commands/base.js";
import { table, when } from "../../commands/format.js";
import { readBody, readFileBounded } from "../../cli/text-input.js";
import { writeNewFile } from "../../cli/new-file.js";
import { chooseCollection, chooseOrCreateCollection } from "../collection-choice.js";
import { newRecordId } from "../ids.js";
import { writeItems } from "../write-chunks.js";
import type { Vault } from "../../vault/vault.js";
import type { RecordView } from "../app.js";
import { dayWindow, zoneNamed, type ExpansionReport } from "./agenda.js";
import { eventsError } from "./errors.js";
import { checkEvent, type CalEvent } from "./event.js";
import { dateFromInput, knownZone, memberId, memberNames, nextDay, occurrenceId, systemZone, wallFromInput } from "./input.js";
import { agendaOf, attendeeText, attendeesOf, occurrenceText, whenText, type Attendee } from "./read.js";
import { eventIntents, eventOf } from "./record.js";
import { eventsApp } from "./index.js";
import { MAX_ICS_BYTES } from "./ical.js";
/** ical.js loads only for import and export. */
const ical = (): Promise<typeof import("./ical.js")> => import("./ical.js");

const collection = Flags.string({ description: "events collection (default: the only one you read)" });

function find(vault: Vault, flag: string | undefined, ref: string): { collection: string; record: RecordView } {
  const c = chooseCollection(vault, eventsApp, flag);
  return { collection: c, record: vault.findRecord(c, ref) };
}

function bad(message: string): never {
  throw eventsError("EVENTS_BAD_EVENT", message);
}

/** --start/--end as stored: dates for all-day events (--end the last day, inclusive), else wall times in `tz`. */
function times(allDay: boolean, start: string, end: string | undefined, tz: string): { start: string; end: string } {
  if (allDay) {
    const s = dateFromInput(start) ?? bad("--start must be a date (YYYY-MM-DD) for an all-day event");
    const last = end === undefined ? s : (dateFromInput(end) ?? bad("--end must be a date (YYYY-MM-DD), the last day, for an all-day event"));
    return { start: s, end: nextDay(last) };
  }
  const s = wallFromInput(start, tz) ?? bad("--start must be a time: YYYY-MM-DDTHH:MM (in --tz), or with Z or an offset");
  if (end === undefined) bad("--end is required for an event with a time (or use --all-day)");
  const e = wallFromInput(end, tz) ?? bad("--end must be a time: YYYY-MM-DDTHH:MM (in --tz), or with Z or an offset");
  return { start: s, end: e };
}

const rruleText = (r: string): string => r.trim().replace(/^RRULE:/i, "").toUpperCase();

function describe(e: CalEvent, attendees: readonly Attendee[]): string {
  let text = safe`${e.title}` + "\n";
  const line = (label: string, v: string): void => {
    text += safe`  ${label}: ${v}` + "\n";
  };
  line("when", whenText(e));
  if (!e.allDay && e.tz !== undefined && zoneNamed(e.tz) === undefined) line("warning", "this system does not know its time zone: times read as UTC");
  if (e.rrule !== undefined) line("repeats", e.rrule);
  for (const x of [...(e.rdates ?? [])].sort()) line("also on", x.replace("T", " "));
  for (const x of [...e.exdates].sort()) line("cancelled", x.replace("T", " "));
  for (const o of [...e.overrides].sort((a, b) => (a.rid < b.rid ? -1 : 1))) line("moved", `${o.rid.replace("T", " ")} to ${o.start.replace("T", " ")}-${o.end.slice(11, 16) || o.end}`);
  if (e.location !== undefined) line("location", e.location);
  for (const a of attendees) line("attendee", attendeeText(a));
  for (const g of e.guests) line("guest", g);
  if (e.notes !== undefined) text += "  notes:\n" + e.notes.split("\n").map((l) => safe`    ${l}`).join("\n") + "\n";
  return text;
}

const eventJson = (id: string, e: CalEvent, attendees: readonly Attendee[], updated: number): Record<string, unknown> => ({ id, ...e, attendees, updated });

export class EventsAdd extends VaultCommand {
  static override summary = "Add an event: title, start and end in a time zone (or all-day), repeat rule, location, attendees.";
  static override examples = [
    '<%= config.bin %> events add --title "Stand-up" --start 2026-03-16T09:00 --end 2026-03-16T09:30 --tz Europe/Berlin --rrule "FREQ=WEEKLY;BYDAY=MO" --attendee bob',
    '<%= config.bin %> events add --title "Office closed" --start 2026-04-03 --all-day',
  ];
  static override flags = {
    title: Flags.string({ description: "what it is", required: true }),
    start: Flags.string({ description: "start: YYYY-MM-DDTHH:MM in --tz (or with Z or an offset); a date with --all-day", required: true }),
    end: Flags.string({ description: "end, as --start; with --all-day the last day (default: the start day)" }),
    tz: Flags.string({ description: "IANA time zone, e.g. Europe/Berlin (default: this computer's)" }),
    "all-day": Flags.boolean({ description: "an all-day event: dates, no time zone", default: false }),
    rrule: Flags.string({ description: 'repeat rule (RFC 5545 RRULE), e.g. "FREQ=MONTHLY;BYDAY=-1FR"' }),
    location: Flags.string({ description: "where" }),
    attendee: Flags.string({ description: "a member who attends, by name (repeat)", multiple: true }),
    notes: Flags.string({ description: 'notes; "-" reads them from standard input' }),
    "notes-file": Flags.string({ description: "read the notes from this UTF-8 file" }),
    collection,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(EventsAdd);
    if (flags["all-day"] && flags.tz !== undefined) this.usage("an all-day event has no time zone: drop --tz or --all-day");
    const tz = flags["all-day"] ? undefined : knownZone(flags.tz ?? systemZone());
    const notes = await readBody({ body: flags.notes, bodyFile: flags["notes-file"], stdin: process.stdin });
    let made: string | undefined;
    await this.withVault(flags, async (vault) => {
      const state = vault.requireTeam();
      const event = checkEvent(
        {
          title: flags.title,
          allDay: flags["all-day"],
          ...times(flags["all-day"], flags.start, flags.end, tz ?? "UTC"),
          ...(tz === undefined ? {} : { tz }),
          ...(flags.rrule === undefined ? {} : { rrule: rruleText(flags.rrule) }),
          exdates: [],
          overrides: [],
          ...(flags.location === undefined ? {} : { location: flags.location }),
          attendees: [...new Set((flags.attendee ?? []).map((n) => memberId(state, n)))],
          guests: [],
          ...(notes === undefined ? {} : { notes }),
          // A UID makes an exported event and its later re-import the same event, not a copy.
          uid: `${randomUUID()}@airlock`,
        },
        "the new event",
      );
      const c = chooseOrCreateCollection(vault, eventsApp, flags.collection, (id, read, write) => (made = this.created(flags.json, id, read, write)));
      const id = newRecordId();
      const { changeset } = vault.write(c, eventIntents(id, event));
      this.emit(flags.json, { id, collection: c, changeset, ...(made === undefined ? {} : { createdCollection: made }) }, safe`Added ${event.title} (${id}) to ${c}: ${whenText(event)}.` + "\n");
    });
  }
}

export class EventsAgenda extends VaultCommand {
  static override summary = "The occurrences of every event between two dates, repeats expanded, in time order.";
  static override examples = ["<%= config.bin %> events agenda --from 2026-03-01 --to 2026-03-31", "<%= config.bin %> events agenda --from 2026-03-01 --to 2026-03-07 --tz America/New_York --json"];
  static override flags = {
    from: Flags.string({ description: "first day (YYYY-MM-DD)", required: true }),
    to: Flags.string({ description: "last day, included (YYYY-MM-DD)", required: true }),
    tz: Flags.string({ description: "the zone to show times and days in (default: this computer's)" }),
    collection,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(EventsAgenda);
    const tz = knownZone(flags.tz ?? systemZone());
    const zone = zoneNamed(tz)!;
    const day = (flag: "from" | "to"): string => dateFromInput(flags[flag]) ?? this.usage(safe`--${flag} is not a date (YYYY-MM-DD): ${flags[flag]}`);
    const window = dayWindow(day("from"), day("to"), zone) ?? this.usage("--from and --to must be dates (YYYY-MM-DD)");
    if (window.toMs <= window.fromMs) this.usage("--to is before --from");
    if (window.toMs - window.fromMs > 3700 * 86_400_000) this.usage("an agenda covers at most ten years");
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, eventsApp, flags.collection);
      const report: ExpansionReport = { periods: 0, notExpanded: [] };
      const list = agendaOf(vault.records(c), window, zone, report);
      const warned = list.filter((o) => o.warning !== undefined);
      for (const w of new Set(warned.map((o) => `${o.id}: ${o.warning!}`))) process.stderr.write(safe`airlock: warning: event ${w}` + "\n");
      for (const id of report.notExpanded) process.stderr.write(safe`airlock: warning: event ${id}: its repeat rule takes too long to expand in this range: none of its occurrences are shown` + "\n");
      const text =
        list.length === 0
          ? safe`no events in ${c} from ${flags.from} to ${flags.to}` + "\n"
          : table(list.map((o) => [occurrenceText(o, zone), o.title, o.location ?? "", o.id, o.moved === true ? "moved" : ""]));
      this.emit(flags.json, { collection: c, from: flags.from, to: flags.to, tz, occurrences: list, notExpanded: report.notExpanded }, text);
    });
  }
}

export class EventsShow extends VaultCommand {
  static override summary = "Show one event: times, repeats, cancelled and moved occurrences, attendees, notes.";
  static override examples = ["<%= config.bin %> events show 3f2a"];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(EventsShow);
    await this.withVault(flags, async (vault) => {
      const { record } = find(vault, flags.collection, args.id);
      const e = eventOf(record);
      const attendees = attendeesOf(e, vault.requireTeam());
      this.emit(flags.json, { event: eventJson(record.id, e, attendees, record.updated) }, describe(e, attendees) + `  updated ${when(record.updated)}\n`);
    });
  }
}

/** Writes `next` over `record` (only what differs); what to say about it. */
function writeChange(vault: Vault, c: string, record: RecordView, next: CalEvent): [Record<string, unknown>, string] {
  const intents = eventIntents(record.id, checkEvent(next, `event ${record.id}`), record);
  if (intents.length === 0) return [{ id: record.id, changed: [] }, safe`Nothing changed in ${record.id}.` + "\n"];
  vault.write(c, intents);
  const changed = [...new Set(intents.map((i) => (i.kind === "delete" ? "" : i.field)))];
  return [{ id: record.id, changed }, safe`Updated ${changed.join(", ")} of ${record.id}.` + "\n"];
}

export class EventsEdit extends VaultCommand {
  static override summary = "Change an event; what you do not name stays (and merges with what others change).";
  static override examples = ['<%= config.bin %> events edit 3f2a --location "Room 3" --add-attendee vera', '<%= config.bin %> events edit 3f2a --start 2026-03-16T10:00 --end 2026-03-16T10:30 --rrule ""'];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = {
    title: Flags.string({ description: "new title" }),
    start: Flags.string({ description: "new start (as events add; give --end too)" }),
    end: Flags.string({ description: "new end" }),
    tz: Flags.string({ description: "new time zone (the wall times stay: 09:00 stays 09:00 in the new zone)" }),
    rrule: Flags.string({ description: 'new repeat rule; "" makes it a one-off event' }),
    location: Flags.string({ description: 'new location; "" clears it' }),
    "add-attendee": Flags.string({ description: "a member who attends (repeat)", multiple: true }),
    "remove-attendee": Flags.string({ description: "a member who no longer attends (repeat)", multiple: true }),
    notes: Flags.string({ description: 'new notes; "-" reads them from standard input' }),
    "notes-file": Flags.string({ description: "read the new notes from this UTF-8 file" }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(EventsEdit);
    const notes = await readBody({ body: flags.notes, bodyFile: flags["notes-file"], stdin: process.stdin });
    await this.withVault(flags, async (vault) => {
      const state = vault.requireTeam();
      const { collection: c, record } = find(vault, flags.collection, args.id);
      const old = eventOf(record);
      if (old.allDay && flags.tz !== undefined) this.usage("an all-day event has no time zone");
      const tz = old.allDay ? undefined : flags.tz === undefined ? old.tz : knownZone(flags.tz);
      const moved = flags.start !== undefined || flags.end !== undefined ? times(old.allDay, flags.start ?? old.start, flags.end ?? (old.allDay ? undefined : old.end), tz ?? "UTC") : { start: old.start, end: old.end };
      if (old.allDay && flags.start !== undefined && flags.end === undefined) moved.end = nextDay(dateFromInput(flags.start)!);
      const removed = new Set((flags["remove-attendee"] ?? []).map((n) => [...state.users.values()].find((u) => u.name === n)?.id ?? memberId(state, n)));
      const rrule = flags.rrule === undefined ? old.rrule : flags.rrule.trim() === "" ? undefined : rruleText(flags.rrule);
      const location = flags.location === undefined ? old.location : flags.location === "" ? undefined : flags.location;
      const next: CalEvent = {
        ...old,
        ...(flags.title === undefined ? {} : { title: flags.title }),
        ...moved,
        ...(tz === undefined ? {} : { tz }),
        rrule,
        location,
        attendees: [...new Set([...old.attendees.filter((a) => !removed.has(a)), ...(flags["add-attendee"] ?? []).map((n) => memberId(state, n))])],
        ...(notes === undefined ? {} : { notes }),
      } as CalEvent;
      this.emit(flags.json, ...writeChange(vault, c, record, next));
    });
  }
}

export class EventsRm extends VaultCommand {
  static override summary = "Delete an event (the whole series).";
  static override examples = ["<%= config.bin %> events rm 3f2a"];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(EventsRm);
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      vault.write(c, [{ kind: "delete", record: record.id }]);
      this.emit(flags.json, { id: record.id }, safe`Deleted ${record.id}.` + "\n");
    });
  }
}

export class EventsCancelOccurrence extends VaultCommand {
  static override summary = "Cancel one occurrence of a repeating event; the rest of the series stays.";
  static override examples = ["<%= config.bin %> events cancel-occurrence 3f2a 2026-03-23", "<%= config.bin %> events cancel-occurrence 3f2a 2026-03-23T09:00"];
  static override args = {
    id: Args.string({ description: "id (or a unique prefix)", required: true }),
    date: Args.string({ description: "the occurrence: its date, or its start (YYYY-MM-DDTHH:MM) when a day has several", required: true }),
  };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(EventsCancelOccurrence);
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      const old = eventOf(record);
      const rid = occurrenceId(old, args.date);
      // A cancelled occurrence that had been moved is cancelled, not shown at its new time.
      this.emit(flags.json, ...writeChange(vault, c, record, { ...old, exdates: [...new Set([...old.exdates, rid])], overrides: old.overrides.filter((o) => o.rid !== rid) }));
    });
  }
}

export class EventsMoveOccurrence extends VaultCommand {
  static override summary = "Move one occurrence of a repeating event to another time; the rest of the series stays.";
  static override examples = ["<%= config.bin %> events move-occurrence 3f2a 2026-03-30 --start 2026-03-31T14:00 --end 2026-03-31T15:00"];
  static override args = {
    id: Args.string({ description: "id (or a unique prefix)", required: true }),
    date: Args.string({ description: "the occurrence: its date, or its start when a day has several", required: true }),
  };
  static override flags = {
    start: Flags.string({ description: "its new start (in the event's zone; a date for all-day events)", required: true }),
    end: Flags.string({ description: "its new end (for all-day events the last day)" }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(EventsMoveOccurrence);
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      const old = eventOf(record);
      const rid = occurrenceId(old, args.date);
      if (old.exdates.includes(rid)) throw eventsError("EVENTS_NO_OCCURRENCE", "that occurrence is cancelled");
      const to = times(old.allDay, flags.start, flags.end, old.tz ?? "UTC");
      this.emit(flags.json, ...writeChange(vault, c, record, { ...old, overrides: [...old.overrides.filter((o) => o.rid !== rid), { rid, ...to }] }));
    });
  }
}

export class EventsImport extends VaultCommand {
  static override summary = "Import an iCalendar file (.ics, as Google Calendar, Outlook and Apple Calendar export it): all of it or nothing.";
  static override examples = ["<%= config.bin %> events import calendar.ics"];
  static override args = { file: Args.string({ description: "the .ics file", required: true }) };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(EventsImport);
    const bytes = readFileBounded(args.file, MAX_ICS_BYTES, "an iCalendar file is at most 16 MiB: split it, or check it is an .ics file");
    let made: string | undefined;
    await this.withVault(flags, async (vault) => {
      const state = vault.requireTeam();
      const members = new Map([...state.users.values()].filter((u) => u.active).map((u) => [u.name.toLowerCase(), u.id]));
      const { events, notes } = (await ical()).parseIcs(bytes, { floatingZone: systemZone(), members });
      const c = chooseOrCreateCollection(vault, eventsApp, flags.collection, (id, read, write) => (made = this.created(flags.json, id, read, write)));
      // An event already imported (same UID) is updated instead of added twice.
      const byUid = new Map<string, RecordView>();
      for (const r of vault.records(c)) {
        const uid = eventOf(r).uid;
        if (uid !== undefined) byUid.set(uid, r);
      }
      let added = 0;
      let updated = 0;
      let unchanged = 0;
      const intents = events.map((e) => {
        const have = e.uid === undefined ? undefined : byUid.get(e.uid);
        const id = have?.id ?? newRecordId();
        // An event without a UID gets the one an export would give it, so importing that export
        // again updates the event instead of adding it twice.
        const intent = eventIntents(id, e.uid === undefined ? { ...e, uid: `${id}@airlock` } : e, have);
        if (have === undefined) added++;
        else if (intent.length > 0) updated++;
        else unchanged++;
        return intent;
      });
      writeItems(vault, c, intents.filter((i) => i.length > 0));
      for (const n of notes) process.stderr.write(`airlock: note: ${n}\n`);
      this.emit(
        flags.json,
        { collection: c, added, updated, unchanged, notes, ...(made === undefined ? {} : { createdCollection: made }) },
        safe`Imported ${String(events.length)} event${events.length === 1 ? "" : "s"} into ${c} (${String(added)} new, ${String(updated)} updated, ${String(unchanged)} unchanged).` + "\n",
      );
    });
  }
}

export class EventsExport extends VaultCommand {
  static override summary = "Write the events to an iCalendar file (.ics) other calendars import. The file is not encrypted.";
  static override examples = ["<%= config.bin %> events export team.ics"];
  static override args = { file: Args.string({ description: "where to write (must not exist)", required: true }) };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(EventsExport);
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, eventsApp, flags.collection);
      // A record another member wrote past the event limits is left out, not allowed to spoil the file.
      const items: { id: string; event: CalEvent; updated: number }[] = [];
      let broken = 0;
      for (const r of vault.records(c)) {
        try {
          items.push({ id: r.id, event: checkEvent(eventOf(r), `event ${r.id}`), updated: r.updated });
        } catch {
          broken++;
        }
      }
      writeNewFile(args.file, (await ical()).serializeIcs(items, memberNames(vault.requireTeam())));
      if (broken > 0) process.stderr.write(`airlock: warning: ${broken} event${broken === 1 ? "" : "s"} break the event limits and were left out\n`);
      this.emit(flags.json, { file: args.file, exported: items.length, invalid: broken }, safe`Wrote ${String(items.length)} events to ${args.file}. The file is not encrypted.` + "\n");
    });
  }
}

export const EVENTS_COMMANDS = {
  "events:add": EventsAdd,
  "events:agenda": EventsAgenda,
  "events:show": EventsShow,
  "events:edit": EventsEdit,
  "events:rm": EventsRm,
  "events:cancel-occurrence": EventsCancelOccurrence,
  "events:move-occurrence": EventsMoveOccurrence,
  "events:import": EventsImport,
  "events:export": EventsExport,
};
