// Validation of zones, lamps, profiles and overrides: every problem named by its field (proto
// snake_case paths), with what is wrong and what would be right. Pure.
import type { FieldViolation } from '@slimstad/kit';
import { isDate, isTimeZone, nightMinute } from './local-time.js';
import type { GeoPoint, LampSpec, LevelSet, Profile, ZoneSpec } from './model.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_EVENT_MS = 7 * 86_400_000;
export const MAX_OVERRIDE_MS = 7 * 86_400_000;

type Problems = FieldViolation[];

const add = (problems: Problems, field: string, description: string) =>
  problems.push({ field, description });

function checkId(problems: Problems, field: string, value: string) {
  if (!ID.test(value))
    add(
      problems,
      field,
      'must be 1-64 characters from A-Z a-z 0-9 _ - (it appears in NATS subjects)',
    );
}

function checkLocation(problems: Problems, field: string, location: GeoPoint | undefined) {
  if (!location) return add(problems, field, 'is required');
  if (!(Math.abs(location.latitude) <= 90))
    add(problems, `${field}.latitude`, 'must be within [-90, 90]');
  if (!(Math.abs(location.longitude) <= 180))
    add(problems, `${field}.longitude`, 'must be within [-180, 180]');
  if (location.latitude === 0 && location.longitude === 0) {
    add(problems, field, 'is 0,0 (in the Atlantic): the location was probably left out');
  }
}

export function zoneViolations(zone: Partial<ZoneSpec>): Problems {
  const problems: Problems = [];
  checkId(problems, 'zone.id', zone.id ?? '');
  if (!zone.name?.trim()) add(problems, 'zone.name', 'is required');
  if (!zone.kind)
    add(problems, 'zone.kind', 'is required: ZONE_KIND_PARK, ZONE_KIND_STREET or ZONE_KIND_SQUARE');
  checkLocation(problems, 'zone.location', zone.location);
  if (!zone.timeZone || !isTimeZone(zone.timeZone)) {
    add(
      problems,
      'zone.time_zone',
      `must be an IANA time zone such as Europe/Brussels, not ${JSON.stringify(zone.timeZone ?? '')}`,
    );
  }
  return problems;
}

/** `knownLampIds`: lamps that exist (for neighbours). */
export function lampViolations(
  lamp: Partial<LampSpec>,
  knownLampIds: ReadonlySet<string>,
): Problems {
  const problems: Problems = [];
  checkId(problems, 'lamp.id', lamp.id ?? '');
  checkId(problems, 'lamp.zone_id', lamp.zoneId ?? '');
  checkLocation(problems, 'lamp.location', lamp.location);
  if (
    !(
      Number.isFinite(lamp.ratedPowerWatts) &&
      (lamp.ratedPowerWatts ?? 0) > 0 &&
      (lamp.ratedPowerWatts ?? 0) <= 5000
    )
  ) {
    add(problems, 'lamp.rated_power_watts', 'must be > 0 and at most 5000 W');
  }
  const min = lamp.minLevel ?? 0;
  if (!Number.isInteger(min) || min < 0 || min > 100)
    add(problems, 'lamp.min_level', 'must be a whole percent 0-100');
  if (lamp.controllerId !== undefined && lamp.controllerId !== '')
    checkId(problems, 'lamp.controller_id', lamp.controllerId);
  (lamp.neighbourIds ?? []).forEach((id, i) => {
    if (id === lamp.id)
      add(problems, `lamp.neighbour_ids[${i}]`, 'a lamp cannot be its own neighbour');
    else if (!knownLampIds.has(id))
      add(
        problems,
        `lamp.neighbour_ids[${i}]`,
        `names lamp ${JSON.stringify(id)}, which does not exist`,
      );
  });
  if (new Set(lamp.neighbourIds ?? []).size !== (lamp.neighbourIds ?? []).length) {
    add(problems, 'lamp.neighbour_ids', 'lists a neighbour twice');
  }
  (lamp.detectorIds ?? []).forEach((id, i) => {
    checkId(problems, `lamp.detector_ids[${i}]`, id);
  });
  return problems;
}

/**
 * A level must be 0 (off) or a whole percent every lamp of the zone can show: not between 0
 * and a lamp's minimum, not above 100.
 */
function checkLevel(
  problems: Problems,
  field: string,
  level: number,
  lamps: readonly Pick<LampSpec, 'id' | 'minLevel'>[],
) {
  if (!Number.isInteger(level) || level < 0 || level > 100) {
    return add(problems, field, `must be a whole percent 0-100, not ${level}`);
  }
  if (level === 0) return;
  const tooDim = lamps.filter((l) => level < l.minLevel);
  if (tooDim.length > 0) {
    const lamp = tooDim.reduce((a, b) => (b.minLevel > a.minLevel ? b : a));
    add(
      problems,
      field,
      `${level} % is below the minimum level ${lamp.minLevel} % of lamp ${lamp.id}${tooDim.length > 1 ? ` (and ${tooDim.length - 1} more)` : ''}: use 0 (off) or at least ${lamp.minLevel}`,
    );
  }
}

function checkDuration(
  problems: Problems,
  field: string,
  ms: number,
  min: number,
  max: number,
  text: string,
) {
  if (!Number.isFinite(ms) || ms < min || ms > max) add(problems, field, `must be ${text}`);
}

/** `lamps`: the zone's lamps, whose limits the levels must respect. */
export function profileViolations(
  profile: Profile,
  lamps: readonly Pick<LampSpec, 'id' | 'minLevel'>[],
): Problems {
  const problems: Problems = [];
  for (const [field, value] of [
    ['dusk_offset_minutes', profile.duskOffsetMinutes],
    ['dawn_offset_minutes', profile.dawnOffsetMinutes],
  ] as const) {
    if (!Number.isInteger(value) || Math.abs(value) > 120)
      add(problems, `profile.${field}`, 'must be whole minutes within [-120, 120]');
  }
  const levelSets: [string, LevelSet][] = [['weekday', profile.weekday]];
  if (profile.weekend) levelSets.push(['weekend', profile.weekend]);
  for (const [name, set] of levelSets) {
    checkLevel(problems, `profile.${name}.base_level`, set.baseLevel, lamps);
    checkLevel(problems, `profile.${name}.presence_level`, set.presenceLevel, lamps);
    if (set.presenceLevel < set.baseLevel) {
      add(
        problems,
        `profile.${name}.presence_level`,
        `${set.presenceLevel} % is below the base level ${set.baseLevel} %: presence must not dim the light`,
      );
    }
    if (set.presenceLevel === 0)
      add(
        problems,
        `profile.${name}.presence_level`,
        'must be above 0: nobody may walk in the dark',
      );
  }
  checkDuration(
    problems,
    'profile.hold',
    profile.holdMs,
    1_000,
    30 * 60_000,
    'between 1 s and 30 min',
  );
  checkDuration(
    problems,
    'profile.ramp_up',
    profile.rampUpMs,
    0,
    10_000,
    'between 0 and 10 s (people must not wait for the light)',
  );
  checkDuration(
    problems,
    'profile.ramp_down',
    profile.rampDownMs,
    0,
    10 * 60_000,
    'between 0 and 10 min',
  );
  if (profile.rampDownMs < profile.rampUpMs) {
    add(
      problems,
      'profile.ramp_down',
      'must not be shorter than ramp_up (light rises fast and fades slowly)',
    );
  }
  for (const mode of ['pedestrian', 'cyclist'] as const) {
    const ahead = profile[mode];
    if (!(ahead.distanceMeters >= 0 && ahead.distanceMeters <= 1000))
      add(problems, `profile.${mode}.distance_meters`, 'must be within [0, 1000] m');
    if (!(ahead.speedMetersPerSecond > 0 && ahead.speedMetersPerSecond <= 20))
      add(problems, `profile.${mode}.speed_meters_per_second`, 'must be > 0 and at most 20 m/s');
  }
  if (profile.cyclist.distanceMeters < profile.pedestrian.distanceMeters) {
    add(
      problems,
      'profile.cyclist.distance_meters',
      'must be at least the pedestrian look-ahead: cyclists are faster',
    );
  }
  const lampIds = new Set(lamps.map((l) => l.id));
  profile.curfews.forEach((c, i) => {
    const f = `profile.curfews[${i}]`;
    const start = nightMinute(c.start);
    const end = nightMinute(c.end);
    if (start === undefined)
      add(problems, `${f}.start_local_time`, `must be HH:MM, not ${JSON.stringify(c.start)}`);
    if (end === undefined)
      add(problems, `${f}.end_local_time`, `must be HH:MM, not ${JSON.stringify(c.end)}`);
    if (start !== undefined && end !== undefined && end <= start) {
      add(
        problems,
        `${f}.end_local_time`,
        `${c.end} is not after ${c.start} in the same night (times before 12:00 are the morning after)`,
      );
    }
    checkLevel(problems, `${f}.level`, c.level, lamps);
    c.exceptDates.forEach((d, j) => {
      if (!isDate(d))
        add(
          problems,
          `${f}.except_dates[${j}]`,
          `must be a date YYYY-MM-DD, not ${JSON.stringify(d)}`,
        );
    });
    c.exceptLampIds.forEach((id, j) => {
      if (!lampIds.has(id))
        add(
          problems,
          `${f}.except_lamp_ids[${j}]`,
          `lamp ${JSON.stringify(id)} is not in this zone`,
        );
    });
  });
  const dates = new Set<string>();
  profile.specialDates.forEach((d, i) => {
    const f = `profile.special_dates[${i}]`;
    if (!isDate(d.date))
      add(problems, `${f}.date`, `must be a date YYYY-MM-DD, not ${JSON.stringify(d.date)}`);
    else if (dates.has(d.date)) add(problems, `${f}.date`, `${d.date} is listed twice`);
    dates.add(d.date);
    checkLevel(problems, `${f}.level`, d.level, lamps);
  });
  profile.events.forEach((e, i) => {
    const f = `profile.events[${i}]`;
    if (!e.name.trim()) add(problems, `${f}.name`, 'is required');
    if (!(e.endMs > e.startMs)) add(problems, `${f}.end_time`, 'must be after start_time');
    else if (e.endMs - e.startMs > MAX_EVENT_MS)
      add(problems, `${f}.end_time`, 'an event lasts at most 7 days');
    checkLevel(problems, `${f}.level`, e.level, lamps);
  });
  checkLevel(problems, 'profile.fallback_level', profile.fallbackLevel, lamps);
  if (profile.fallbackLevel < profile.weekday.baseLevel) {
    add(
      problems,
      'profile.fallback_level',
      `must be at least the weekday base level ${profile.weekday.baseLevel} %: losing the service must not darken the streets`,
    );
  }
  return problems;
}

export function overrideViolations(request: {
  level: number;
  startMs: number;
  endMs: number;
  reason: string;
}): Problems {
  const problems: Problems = [];
  if (!Number.isInteger(request.level) || request.level < 0 || request.level > 100) {
    add(problems, 'level', 'must be a whole percent 0-100');
  }
  if (!(request.endMs > request.startMs))
    add(problems, 'end_time', 'must be in the future (or give a positive duration)');
  else if (request.endMs - request.startMs > MAX_OVERRIDE_MS)
    add(problems, 'end_time', 'an override lasts at most 7 days');
  if (!request.reason.trim()) add(problems, 'reason', 'is required: say why, for the audit log');
  return problems;
}
