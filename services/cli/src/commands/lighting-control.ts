// `slimstad lighting profile | override | state | energy`: a zone's lighting profile (read,
// and set from a file with the version read), manual overrides, the live state of the lamps
// and the energy report.
import type { Duration } from '@slimstad/contracts/gen/google/protobuf/duration';
import {
  ControlSource,
  LampFailureReason,
  LampState,
  LampStatus,
  type LevelSet,
  type LightingProfile,
  type LookAhead,
  NightKind,
  Override,
  type ZoneDayEnergy,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { type Command, Option } from 'commander';
import type { Cli } from '../program.js';
import { enumToken, instant } from './device-args.js';
import { fixed, lightingApi, readJsonFile } from './lighting-api.js';
import {
  energyRange,
  localDate,
  localToday,
  natsToken,
  type OverrideFlags,
  overrideDuration,
  overrideRequest,
  percent,
  reason,
} from './lighting-args.js';
import { durationText, profileFromJson, profileToJson, profileToSet } from './lighting-files.js';

const signed = (minutes: number) => (minutes < 0 ? `- ${-minutes}` : `+ ${minutes}`);
const levels = (set: LevelSet | undefined) =>
  set ? `base ${set.baseLevel} %, presence ${set.presenceLevel} %` : undefined;
const lookAhead = (ahead: LookAhead | undefined) =>
  ahead ? `${ahead.distanceMeters} m ahead at ${ahead.speedMetersPerSecond} m/s` : undefined;
const time = (duration: Duration | undefined) => (duration ? durationText(duration) : undefined);
const nights = (kind: NightKind) =>
  kind === NightKind.NIGHT_KIND_UNSPECIFIED
    ? 'every night'
    : `${enumToken(NightKind, 'NIGHT_KIND_', kind)} nights`;

/** A profile as `field value` lines, one per setting and one per curfew, date and event. */
export function profileRows(profile: LightingProfile): { field: string; value: unknown }[] {
  const version = profile.version === 0n ? '0 (the default: never set)' : profile.version;
  return [
    { field: 'zone', value: profile.zoneId },
    { field: 'version', value: version },
    { field: 'dusk', value: `sunset ${signed(profile.duskOffsetMinutes)} min` },
    { field: 'dawn', value: `sunrise ${signed(profile.dawnOffsetMinutes)} min` },
    { field: 'weekday', value: levels(profile.weekday) },
    { field: 'weekend', value: levels(profile.weekend) ?? 'as weekday' },
    { field: 'hold', value: time(profile.hold) },
    { field: 'ramp up', value: time(profile.rampUp) },
    { field: 'ramp down', value: time(profile.rampDown) },
    { field: 'pedestrian', value: lookAhead(profile.pedestrian) },
    { field: 'cyclist', value: lookAhead(profile.cyclist) },
    { field: 'fallback', value: `${profile.fallbackLevel} %` },
    ...profile.curfews.map((c, i) => ({
      field: `curfew ${i + 1}`,
      value: [
        `${c.startLocalTime}-${c.endLocalTime} at ${c.level} %, ${nights(c.nights)}`,
        c.exceptDates.length > 0 ? `except ${c.exceptDates.join(',')}` : '',
        c.exceptLampIds.length > 0 ? `not lamps ${c.exceptLampIds.join(',')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    })),
    ...profile.specialDates.map((d) => ({
      field: 'special date',
      value: `${d.date} at ${d.level} %${d.name ? ` (${d.name})` : ''}`,
    })),
    ...profile.events.map((e) => ({
      field: 'event',
      value: `${e.startTime?.toISOString()} to ${e.endTime?.toISOString()} at ${e.level} %${e.name ? ` (${e.name})` : ''}`,
    })),
    ...(profile.updatedBy
      ? [
          {
            field: 'updated',
            value: `by ${profile.updatedBy}${profile.updateTime ? ` at ${profile.updateTime.toISOString()}` : ''}`,
          },
        ]
      : []),
  ];
}

const printProfile = (cli: Cli, command: Command, profile: LightingProfile | undefined) =>
  cli.print(command, {
    json: profile ? profileToJson(profile) : {},
    rows: profile ? profileRows(profile) : [],
    columns: [
      { header: 'field', value: (row) => row.field },
      { header: 'value', value: (row) => row.value },
    ],
  });

/** Whether an override is still in force at `now`. */
const overrideState = (o: Override, now: Date) =>
  o.clearTime
    ? 'cleared'
    : o.endTime && o.endTime.getTime() <= now.getTime()
      ? 'expired'
      : 'active';

const printOverrides = (cli: Cli, command: Command, overrides: Override[], asList = false) => {
  const now = new Date();
  cli.print(command, {
    json: asList
      ? overrides.map((o) => Override.toJSON(o))
      : overrides[0]
        ? Override.toJSON(overrides[0])
        : null,
    rows: overrides,
    columns: [
      { header: 'id', value: (o) => o.id },
      { header: 'zone', value: (o) => o.zoneId },
      { header: 'lamp', value: (o) => o.lampId || '(whole zone)' },
      { header: 'level %', value: (o) => o.level },
      { header: 'state', value: (o) => overrideState(o, now) },
      { header: 'start', value: (o) => o.startTime },
      { header: 'end', value: (o) => o.clearTime ?? o.endTime },
      {
        header: 'by',
        value: (o) => (o.clearedBy ? `${o.createdBy}, ${o.clearedBy}` : o.createdBy),
      },
      { header: 'reason', value: (o) => o.reason },
    ],
    empty: 'no overrides',
  });
};

/** `power_mismatch: 80 W at 0 %`, or empty while the lamp is fine. */
const failure = (s: LampState) => {
  if (s.failureReason === LampFailureReason.LAMP_FAILURE_REASON_UNSPECIFIED) return s.failureDetail;
  const why = enumToken(LampFailureReason, 'LAMP_FAILURE_REASON_', s.failureReason);
  return s.failureDetail ? `${why}: ${s.failureDetail}` : why;
};

export const STATE_COLUMNS = [
  { header: 'lamp', value: (s: LampState) => s.lampId },
  { header: 'zone', value: (s: LampState) => s.zoneId },
  { header: 'target', value: (s: LampState) => s.targetLevel },
  {
    header: 'source',
    value: (s: LampState) => enumToken(ControlSource, 'CONTROL_SOURCE_', s.source),
  },
  {
    header: 'commanded',
    value: (s: LampState) => `${s.commandedLevel}${s.acknowledged ? '' : ' (unacked)'}`,
  },
  { header: 'actual', value: (s: LampState) => s.actualLevel },
  { header: 'power W', value: (s: LampState) => fixed(s.powerWatts, 1) },
  { header: 'status', value: (s: LampState) => enumToken(LampStatus, 'LAMP_STATUS_', s.status) },
  { header: 'failure', value: failure },
];

/** A row of the energy table: a zone's day, or the totals. */
interface EnergyRow {
  zone: string;
  date: string;
  used: number;
  baseline: number;
  saved: number;
  percent: number;
}

const dayRow = (d: ZoneDayEnergy): EnergyRow => ({
  zone: d.zoneId,
  date: d.date,
  used: d.usedKwh,
  baseline: d.baselineKwh,
  saved: d.savedKwh,
  percent: d.savingPercent,
});

export function registerControl(group: Command, cli: Cli): void {
  const profile = group
    .command('profile')
    .description("a zone's lighting profile: get, set from a file");

  profile
    .command('get')
    .description("show a zone's profile (version 0: the default, never set)")
    .argument('<zone>', 'zone id')
    .action(async (zone: string, _flags, command: Command) => {
      const { profile: found } = await lightingApi(cli, command).getProfile({ zoneId: zone });
      printProfile(cli, command, found);
    });

  profile
    .command('set')
    .description(
      'set the profile from a file (what `profile get -o json` prints), with the version read',
    )
    .argument('<zone>', 'zone id')
    .requiredOption('--file <profile.json>', 'a LightingProfile in proto3 JSON (camelCase)')
    .option('--force', 'set it even if the file is of another zone or an older version')
    .action(async (zone: string, flags: { file: string; force?: boolean }, command: Command) => {
      const file = await readJsonFile(flags.file, 'a LightingProfile in JSON', profileFromJson);
      const api = lightingApi(cli, command);
      const { profile: current } = await api.getProfile({ zoneId: zone });
      const { profile: stored } = await api.setProfile({
        profile: profileToSet(
          file,
          zone,
          current ?? ({ version: 0n } as LightingProfile),
          Boolean(flags.force),
        ),
      });
      printProfile(cli, command, stored);
    });

  const override = group
    .command('override')
    .description('manual overrides of a lamp or a zone: set, clear, list');

  override
    .command('set')
    .description('hold a lamp (or a whole zone) at a level until a time; it expires by itself')
    .addOption(new Option('--zone <zone>', 'the zone').argParser(natsToken).makeOptionMandatory())
    .addOption(
      new Option('--lamp <lamp>', 'a lamp of the zone (default: the whole zone)').argParser(
        natsToken,
      ),
    )
    .addOption(
      new Option('--level <percent>', 'level, 0-100 (0: off)')
        .argParser(percent)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--for <duration>', 'how long, e.g. 90m or 2h (at most 7 days)').argParser(
        overrideDuration,
      ),
    )
    .addOption(new Option('--until <time>', 'until when, ISO 8601 with a zone').argParser(instant))
    .addOption(
      new Option('--reason <text>', 'why, for the audit log')
        .argParser(reason)
        .makeOptionMandatory(),
    )
    .action(async (flags: OverrideFlags, command: Command) => {
      const request = overrideRequest(flags, new Date());
      const { override: set } = await lightingApi(cli, command).setOverride(request);
      printOverrides(cli, command, set ? [set] : []);
    });

  override
    .command('clear')
    .description('end an override before it expires')
    .argument('<id>', 'override id')
    .addOption(new Option('--reason <text>', 'why, for the audit log').argParser(reason))
    .action(async (id: string, flags: { reason?: string }, command: Command) => {
      const { override: cleared } = await lightingApi(cli, command).clearOverride({
        overrideId: id,
        reason: flags.reason ?? '',
      });
      printOverrides(cli, command, cleared ? [cleared] : []);
    });

  override
    .command('list')
    .description('list the overrides in force')
    .option('--zone <zone>', 'only this zone')
    .option('--all', 'also the expired and cleared ones (most recent first, at most 500)')
    .action(async (flags: { zone?: string; all?: boolean }, command: Command) => {
      const { overrides } = await lightingApi(cli, command).listOverrides({
        zoneId: flags.zone ?? '',
        includeEnded: Boolean(flags.all),
      });
      printOverrides(cli, command, overrides, true);
    });

  group
    .command('state')
    .description('the live state of every lamp: levels, what decided them, power, health')
    .option('--zone <zone>', 'only this zone')
    .action(async (flags: { zone?: string }, command: Command) => {
      const { states } = await lightingApi(cli, command).listLampStates({
        zoneId: flags.zone ?? '',
      });
      cli.print(command, {
        json: states.map((s) => LampState.toJSON(s)),
        rows: states,
        columns: STATE_COLUMNS,
        empty: 'no lamps',
      });
    });

  group
    .command('energy')
    .description('energy per zone and operating day versus always at full level, with totals')
    .option('--zone <zone>', 'only this zone')
    .addOption(
      new Option('--from <date>', 'first operating day, YYYY-MM-DD')
        .argParser(localDate)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--to <date>', 'last operating day (default: today)').argParser(localDate),
    )
    .action(async (flags: { zone?: string; from: string; to?: string }, command: Command) => {
      const range = energyRange(flags, localToday(new Date()));
      const report = await lightingApi(cli, command).getEnergyReport({
        zoneId: flags.zone ?? '',
        ...range,
      });
      const saved = report.baselineKwh - report.usedKwh;
      const rows: EnergyRow[] = report.days.map(dayRow);
      if (rows.length > 0)
        rows.push({
          zone: 'total',
          date: `${range.fromDate}..${range.toDate}`,
          used: report.usedKwh,
          baseline: report.baselineKwh,
          saved,
          percent: report.savingPercent,
        });
      cli.print(command, {
        json: { ...range, ...report, savedKwh: saved },
        rows,
        columns: [
          { header: 'zone', value: (r) => r.zone },
          { header: 'date', value: (r) => r.date },
          { header: 'used kWh', value: (r) => fixed(r.used, 2) },
          { header: 'baseline kWh', value: (r) => fixed(r.baseline, 2) },
          { header: 'saved kWh', value: (r) => fixed(r.saved, 2) },
          { header: 'saving %', value: (r) => fixed(r.percent, 1) },
        ],
        empty: `no energy data from ${range.fromDate} to ${range.toDate}`,
      });
    });
}
