// One model per device type: what the device measures and how its next reading follows from
// its state, the simulated time and its own random stream. Pure step functions, so tests can
// drive a device through days in microseconds.
import type { SimDevice } from './devices.js';
import {
  cyclingActivity,
  deliveryWindow,
  type LocalTime,
  lampDimLevel,
  localTime,
  nightlifeActivity,
  parkActivity,
  pedestrianActivity,
  rainIntensity,
  sunElevation,
  tideLevel,
  trafficActivity,
  waterTemperature,
} from './profiles.js';
import { type Random, valueNoise } from './random.js';

/** A reading's values by metric; booleans are sent as JSON booleans where the format allows. */
export type Values = Record<string, number | boolean>;

/** A device's private state between readings (e.g. how full a bin is). */
export type ModelState = Readonly<Record<string, number>>;

export interface StepInput {
  /** Simulated instant of this reading (ms since the epoch). */
  simMs: number;
  /** Simulated seconds since the device's previous reading (its interval on the first). */
  elapsedS: number;
  /** The device's own random stream. */
  random: Random;
  /** The town's seed: what all devices share (the weather). */
  seed: number;
  /** IANA time zone of the town. */
  timeZone: string;
}

export interface DeviceModel {
  /** The metrics this model reports and the unit of its numbers. */
  readonly metrics: readonly { name: string; unit: string }[];
  initial(device: SimDevice, random: Random): ModelState;
  step(
    device: SimDevice,
    state: ModelState,
    input: StepInput,
  ): { state: ModelState; values: Values };
}

const round = (value: number, digits = 0) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** Poisson-distributed count with mean `lambda` (normal approximation above 30). */
export function poisson(random: Random, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * random.normal()));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = random.next();
  while (p > limit) {
    k += 1;
    p *= random.next();
  }
  return k;
}

const local = (input: StepInput): LocalTime => localTime(input.simMs, input.timeZone);
const hoursOf = (input: StepInput) => input.elapsedS / 3600;

/** A counter of passers-by: Poisson counts around `peakPerHour × activity`. */
const counter = (
  metric: string,
  peakPerHour: number,
  activity: (t: LocalTime) => number,
): DeviceModel => ({
  metrics: [{ name: metric, unit: '{count}' }],
  initial: (_device, random) => ({ peakPerHour: peakPerHour * random.between(0.5, 1.5) }),
  step: (_device, state, input) => ({
    state,
    values: {
      [metric]: poisson(
        input.random,
        (state.peakPerHour ?? peakPerHour) * activity(local(input)) * hoursOf(input),
      ),
    },
  }),
});

/** How long rain on the Zenne's catchment takes to reach the gauges (regime=river). */
export const RIVER_LAG_MS = 3 * 3_600_000;

/**
 * A rain-fed river's rise above its base level after `elapsedS` more seconds: it relaxes
 * towards what the rain of `RIVER_LAG_MS` earlier sustains (about 0.6 m per mm/h of steady
 * rain) with a time constant of ~6 h. The demo's Zenne; scenarios force rain through it.
 */
export function riverRise(riseM: number, laggedRainMmPerH: number, elapsedS: number): number {
  const target = 0.6 * laggedRainMmPerH;
  const k = 1 - Math.exp(-elapsedS / (6 * 3600));
  return riseM + (target - riseM) * k;
}

/** A rain-fed river's base level (its base flow) for a gauge of mean level `meanM`. */
export const riverBase = (meanM: number): number => meanM * 0.6;

/**
 * River or canal gauge (ultrasonic, above the water): level in m, water temperature in °C. Its
 * `regime` label says what moves the water: `river` (a rain-fed river such as the Zenne: a
 * base flow that rises a few hours after rain on the catchment and falls back slowly), `canal`
 * (a level held by locks within a few centimetres), or by default `tidal` (an estuary river).
 */
const waterLevel: DeviceModel = {
  metrics: [
    { name: 'water_level', unit: 'm' },
    { name: 'temperature', unit: 'Cel' },
  ],
  initial: (_device, random) => ({
    meanM: 1.8 + random.between(-0.2, 0.2),
    amplitudeM: random.between(0.8, 1),
    phaseHours: random.between(0, 0.4),
    riseM: 0,
  }),
  step: (device, state, input) => {
    const regime = device.labels?.regime ?? 'tidal';
    const rainNow = rainIntensity(input.simMs, input.seed);
    let level: number;
    let next = state;
    if (regime === 'river') {
      // The catchment answers rain with a lag.
      const lagged = rainIntensity(input.simMs - RIVER_LAG_MS, input.seed);
      const riseM = riverRise(state.riseM ?? 0, lagged, input.elapsedS);
      next = { ...state, riseM };
      level = riverBase(state.meanM ?? 1.8) + riseM;
    } else if (regime === 'canal') {
      level = (state.meanM ?? 1.8) + 1.2 + 0.03 * Math.sin(input.simMs / 5_400_000);
    } else {
      level = tideLevel(input.simMs, {
        meanM: state.meanM ?? 1.8,
        amplitudeM: state.amplitudeM ?? 0.9,
        phaseHours: state.phaseHours ?? 0,
      });
      // Rain on the catchment lifts the river a little.
      level += 0.02 * rainNow;
    }
    return {
      state: next,
      values: {
        // The sensor itself adds a centimetre.
        water_level: round(level + 0.01 * input.random.normal(), 3),
        temperature: round(waterTemperature(local(input)) + 0.1 * input.random.normal(), 1),
      },
    };
  },
};

/** Tipping-bucket rain gauge: 0.2 mm per tip, the remainder carried to the next interval. */
const rainGauge: DeviceModel = {
  metrics: [{ name: 'rainfall', unit: 'mm' }],
  initial: (_device, random) => ({ catchFactor: random.between(0.85, 1.15), bucket: 0 }),
  step: (_device, state, input) => {
    const fallen =
      rainIntensity(input.simMs, input.seed) * (state.catchFactor ?? 1) * hoursOf(input);
    const bucket = (state.bucket ?? 0) + fallen;
    const tips = Math.floor(bucket / 0.2 + 1e-9);
    return {
      state: { ...state, bucket: bucket - tips * 0.2 },
      values: { rainfall: round(tips * 0.2, 1) },
    };
  },
};

/** How fast a waste stream fills a bin, by volume, relative to residual waste. */
export const STREAM_RATE: Readonly<Record<string, number>> = {
  residual: 1,
  pmd: 1.4, // plastic bottles, metal and drink cartons: light and bulky
  paper: 0.7,
  glass: 0.35,
  organic: 0.6,
};

/**
 * Waste bin with an ultrasonic fill sensor: fills with the people around it — its `place`
 * label: a street's footfall, a park's strollers, a square's terraces and bars until late —
 * at the rate of its `stream` label (residual, pmd, paper, glass, organic), and is emptied by
 * the collection round once past its threshold — sometimes only after standing full (the
 * threshold may lie above 100 %), which is what overflow alerts are for.
 */
const binFill: DeviceModel = {
  metrics: [{ name: 'fill_level', unit: '%' }],
  initial: (_device, random) => ({
    fill: random.between(5, 70),
    ratePerHour: random.between(1.5, 4),
    emptyAt: random.between(80, 105),
  }),
  step: (device, state, input) => {
    const rate = (state.ratePerHour ?? 2) * (STREAM_RATE[device.labels?.stream ?? ''] ?? 1);
    const t = local(input);
    const place = placeOf(device);
    const people =
      place === 'park'
        ? 2 * parkActivity(t)
        : place === 'square'
          ? pedestrianActivity(t) + nightlifeActivity(t)
          : pedestrianActivity(t);
    let fill = (state.fill ?? 0) + rate * (0.3 + people) * hoursOf(input);
    let emptyAt = state.emptyAt ?? 90;
    if (fill >= emptyAt) {
      fill = input.random.between(0, 4);
      emptyAt = input.random.between(80, 105);
    }
    const measured = Math.min(100, Math.max(0, fill + input.random.normal()));
    return { state: { ...state, fill, emptyAt }, values: { fill_level: round(measured) } };
  },
};

/** Share of a day's household water used in each hour (morning and evening peaks), sums to 1. */
const HOURLY_USE = [
  0.01, 0.005, 0.005, 0.005, 0.01, 0.02, 0.06, 0.09, 0.07, 0.05, 0.04, 0.04, 0.05, 0.04, 0.035,
  0.035, 0.04, 0.05, 0.07, 0.08, 0.07, 0.06, 0.045, 0.035,
];

/**
 * Smart water meter of a building: its index (m³, only ever rising) and the mean flow over the
 * interval (L/h). People use water in bursts around the morning and evening peaks, so a sound
 * installation shows no flow for most of the night; a leak (`leak` label: the litres per hour
 * it loses) adds a steady flow day and night, which is how the water company spots one — the
 * minimum night flow never falls to zero.
 */
const waterMeter: DeviceModel = {
  metrics: [
    { name: 'volume', unit: 'm3' },
    { name: 'flow', unit: 'L/h' },
  ],
  initial: (_device, random) => ({
    indexM3: Math.round(random.between(200, 3000)),
    litresPerDay: random.between(250, 900),
  }),
  step: (device, state, input) => {
    const t = local(input);
    const hours = hoursOf(input);
    const expected = (state.litresPerDay ?? 400) * (HOURLY_USE[Math.floor(t.hour)] ?? 0.04) * hours;
    // Use comes in draws (a shower, a toilet, a dishwasher): none at all in many intervals.
    const draws = poisson(input.random, expected / 15);
    const used = draws * input.random.between(8, 22);
    const leak = Math.max(0, Number(device.labels?.leak ?? 0) || 0) * hours;
    const litres = used + leak;
    const indexM3 = (state.indexM3 ?? 0) + litres / 1000;
    return {
      state: { ...state, indexM3 },
      values: {
        volume: round(indexM3, 3),
        flow: round(hours > 0 ? litres / hours : 0, 1),
      },
    };
  },
};

/** Where a presence sensor watches (its `place` label): whom it sees pass, and when. */
export type Place = 'street' | 'park' | 'square';

export const placeOf = (device: Pick<SimDevice, 'labels'>): Place => {
  const place = device.labels?.place;
  return place === 'park' || place === 'square' ? place : 'street';
};

/**
 * Passers (a person, a couple, a dog walker) per minute in front of a presence sensor: the
 * footfall of a shopping street; on a square also its terraces and bars in the evening; in a
 * park its own rhythm, with a few people taking the short cut at any hour of the night.
 */
export function passersPerMinute(place: Place, t: LocalTime): number {
  switch (place) {
    case 'park':
      return 0.04 + 3 * parkActivity(t);
    case 'square':
      return 0.05 + 4 * pedestrianActivity(t) + 2 * nightlifeActivity(t);
    default:
      return 0.05 + 4 * pedestrianActivity(t);
  }
}

/**
 * PIR/radar presence sensor on a lamp pole, reporting whether it saw anyone since its last
 * report. Passers arrive at random (Poisson) and stay in its field for 8-25 s (crossing it at
 * walking pace, plus the sensor's own hold time): one who passes just before a report is still
 * seen in the next interval, as a real sensor latches a detection until it has reported it.
 */
const presence: DeviceModel = {
  metrics: [{ name: 'occupied', unit: '1' }],
  initial: (_device, random) => ({ sensitivity: random.between(0.7, 1.3), seenUntilMs: 0 }),
  step: (device, state, input) => {
    const perMinute = passersPerMinute(placeOf(device), local(input)) * (state.sensitivity ?? 1);
    const intervalMs = input.elapsedS * 1000;
    const startMs = input.simMs - intervalMs;
    const passers = poisson(input.random, (perMinute * input.elapsedS) / 60);
    let seenUntilMs = state.seenUntilMs ?? 0;
    if (passers > 0) {
      // The last of `passers` uniform arrivals in the interval.
      const lastMs = startMs + intervalMs * input.random.next() ** (1 / passers);
      seenUntilMs = Math.max(seenUntilMs, lastMs + input.random.between(8, 25) * 1000);
    }
    return {
      state: { ...state, seenUntilMs },
      values: { occupied: passers > 0 || seenUntilMs > startMs },
    };
  },
};

/** Sound level meter, LAeq over the interval in dB(A): traffic, people, now and then a bang. */
const noise: DeviceModel = {
  metrics: [{ name: 'sound_level', unit: 'dB[A]' }],
  initial: (_device, random) => ({ base: random.between(40, 46) }),
  step: (_device, state, input) => {
    const t = local(input);
    const event = input.random.chance(0.03) ? input.random.between(5, 15) : 0;
    const level =
      (state.base ?? 43) +
      14 * trafficActivity(t) +
      8 * Math.min(1.2, pedestrianActivity(t)) +
      event +
      2.5 * input.random.normal();
    return { state, values: { sound_level: round(level, 1) } };
  },
};

/** Particulate matter and NO2 in µg/m³: a slow regional background, local traffic, rain washout. */
const airQuality: DeviceModel = {
  metrics: [
    { name: 'pm25', unit: 'ug/m3' },
    { name: 'pm10', unit: 'ug/m3' },
    { name: 'no2', unit: 'ug/m3' },
  ],
  initial: (_device, random) => ({
    trafficExposure: random.between(0.6, 1.4),
    coarse: random.between(1.4, 1.8),
  }),
  step: (_device, state, input) => {
    const hours = input.simMs / 3_600_000;
    const traffic = trafficActivity(local(input)) * (state.trafficExposure ?? 1);
    const washout = 1 - 0.5 * Math.min(1, rainIntensity(input.simMs, input.seed) / 2);
    const background = 5 + 20 * valueNoise(input.seed + 7, hours / 30);
    const pm25 = Math.max(1, (background + 6 * traffic) * washout + input.random.normal());
    const pm10 = Math.max(pm25, pm25 * (state.coarse ?? 1.6) + 2 + input.random.normal());
    const no2 = Math.max(1, 12 + 35 * traffic + 4 * input.random.normal());
    return { state, values: { pm25: round(pm25, 1), pm10: round(pm10, 1), no2: round(no2, 1) } };
  },
};

/** Street-lamp controller: its dim level (own schedule, by the sun) and the power it draws. */
const lampController: DeviceModel = {
  metrics: [
    { name: 'dim_level', unit: '%' },
    { name: 'power', unit: 'W' },
  ],
  initial: (_device, random) => ({ ratedW: random.between(45, 90) }),
  step: (device, state, input) => {
    const dim = lampDimLevel(
      sunElevation(input.simMs, device.latitude, device.longitude),
      local(input),
    );
    const watts =
      dim > 0 ? ((state.ratedW ?? 60) * dim) / 100 + 1 + 0.5 * input.random.normal() : 0.5;
    return { state, values: { dim_level: dim, power: round(Math.max(0, watts), 1) } };
  },
};

/** Retractable bollard: raised, except in the delivery window and for the odd emergency vehicle. */
const bollardController: DeviceModel = {
  metrics: [{ name: 'raised', unit: '1' }],
  initial: () => ({}),
  step: (_device, state, input) => ({
    state,
    values: { raised: !deliveryWindow(local(input)) && !input.random.chance(0.01) },
  }),
};

/** Meter of a lighting cabinet: its lamps at their scheduled dim level plus the cabinet itself. */
const energyMeter: DeviceModel = {
  metrics: [
    { name: 'power', unit: 'kW' },
    { name: 'energy', unit: 'kWh' },
  ],
  initial: (_device, random) => ({
    lamps: Math.round(random.between(20, 40)),
    lampW: random.between(50, 80),
  }),
  step: (device, state, input) => {
    const dim = lampDimLevel(
      sunElevation(input.simMs, device.latitude, device.longitude),
      local(input),
    );
    const watts = ((state.lamps ?? 30) * (state.lampW ?? 60) * dim) / 100 + 150;
    const kw = Math.max(0, (watts / 1000) * (1 + 0.02 * input.random.normal()));
    return {
      state,
      values: { power: round(kw, 3), energy: round(kw * hoursOf(input), 3) },
    };
  },
};

/** The models by registry device type (lower case, without `DEVICE_TYPE_`). */
export const MODELS: Readonly<Record<string, DeviceModel>> = {
  water_level: waterLevel,
  rain_gauge: rainGauge,
  bin_fill: binFill,
  water_meter: waterMeter,
  pedestrian_counter: counter('pedestrians', 2000, pedestrianActivity),
  bike_counter: counter('bicycles', 450, cyclingActivity),
  presence,
  noise,
  air_quality: airQuality,
  lamp_controller: lampController,
  bollard_controller: bollardController,
  energy_meter: energyMeter,
};

/**
 * Every reason the devices cannot be simulated faithfully: a type without a model, or a
 * metric the model reports that the device does not declare (ingest would refuse it as
 * UNKNOWN_METRIC) or declares in another unit.
 */
export function modelProblems(devices: readonly SimDevice[]): string[] {
  const problems: string[] = [];
  for (const device of devices) {
    const model = MODELS[device.type];
    if (!model) {
      problems.push(
        `${device.id}: type ${JSON.stringify(device.type)} is not simulated; simulated types: ${Object.keys(MODELS).join(', ')}`,
      );
      continue;
    }
    for (const metric of model.metrics) {
      const declared = device.metrics.find((m) => m.name === metric.name);
      if (!declared) {
        problems.push(`${device.id}: must declare metric ${metric.name}:${metric.unit}`);
      } else if (declared.unit !== metric.unit) {
        problems.push(
          `${device.id}: metric ${metric.name} is simulated in ${metric.unit}, declared in ${declared.unit}`,
        );
      }
    }
  }
  return problems;
}

/** Values held within the device's declared range, as a saturating sensor would report them. */
export function clampToSpec(device: SimDevice, values: Values): Values {
  const out: Values = {};
  for (const [name, value] of Object.entries(values)) {
    const spec = device.metrics.find((m) => m.name === name);
    if (typeof value === 'boolean' || !spec) {
      out[name] = value;
      continue;
    }
    out[name] = Math.min(spec.max ?? Infinity, Math.max(spec.min ?? -Infinity, value));
  }
  return out;
}
