// Unit conversion between UCUM codes (the Unified Code for Units of Measure, which FIWARE and
// SensorThings also use). Each unit belongs to a dimension and converts to that dimension's
// base unit by `base = value * factor + offset`; two units convert when they share a dimension.

interface UnitDef {
  dimension: string;
  factor: number;
  offset?: number;
}

const UNITS: Record<string, UnitDef> = {
  // length → m
  m: { dimension: 'length', factor: 1 },
  cm: { dimension: 'length', factor: 0.01 },
  mm: { dimension: 'length', factor: 0.001 },
  km: { dimension: 'length', factor: 1000 },
  // volume → m3
  m3: { dimension: 'volume', factor: 1 },
  L: { dimension: 'volume', factor: 0.001 },
  l: { dimension: 'volume', factor: 0.001 },
  mL: { dimension: 'volume', factor: 1e-6 },
  // flow → m3/h
  'm3/h': { dimension: 'flow', factor: 1 },
  'L/min': { dimension: 'flow', factor: 0.06 },
  'L/h': { dimension: 'flow', factor: 0.001 },
  // temperature → K (UCUM: Cel, K, [degF])
  K: { dimension: 'temperature', factor: 1 },
  Cel: { dimension: 'temperature', factor: 1, offset: 273.15 },
  '[degF]': { dimension: 'temperature', factor: 5 / 9, offset: 273.15 - (32 * 5) / 9 },
  // energy → J
  J: { dimension: 'energy', factor: 1 },
  kJ: { dimension: 'energy', factor: 1e3 },
  MJ: { dimension: 'energy', factor: 1e6 },
  Wh: { dimension: 'energy', factor: 3600 },
  kWh: { dimension: 'energy', factor: 3.6e6 },
  // power → W
  W: { dimension: 'power', factor: 1 },
  kW: { dimension: 'power', factor: 1e3 },
  // pressure → Pa
  Pa: { dimension: 'pressure', factor: 1 },
  hPa: { dimension: 'pressure', factor: 100 },
  kPa: { dimension: 'pressure', factor: 1e3 },
  bar: { dimension: 'pressure', factor: 1e5 },
  // speed → m/s
  'm/s': { dimension: 'speed', factor: 1 },
  'km/h': { dimension: 'speed', factor: 1 / 3.6 },
  // mass concentration → ug/m3
  'ug/m3': { dimension: 'concentration', factor: 1 },
  'mg/m3': { dimension: 'concentration', factor: 1e3 },
  // precipitation depth over time → mm/h
  'mm/h': { dimension: 'precipitation', factor: 1 },
  // dimensionless families: only identical codes convert
  '%': { dimension: 'ratio', factor: 0.01 },
  '1': { dimension: 'ratio', factor: 1 },
  'dB[A]': { dimension: 'sound-level', factor: 1 },
  dB: { dimension: 'sound-level-unweighted', factor: 1 },
  '{count}': { dimension: 'count', factor: 1 },
  kg: { dimension: 'mass', factor: 1 },
  g: { dimension: 'mass', factor: 0.001 },
  t: { dimension: 'mass', factor: 1000 },
};

export function knownUnit(code: string): boolean {
  return code in UNITS;
}

/**
 * Converts `value` from unit `from` to unit `to`. An empty `from` means "already in `to`".
 * Returns undefined when the units are unknown or of different dimensions.
 */
export function convertUnit(value: number, from: string, to: string): number | undefined {
  if (from === '' || from === to) return value;
  const source = UNITS[from];
  const target = UNITS[to];
  if (!source || !target || source.dimension !== target.dimension) return undefined;
  const base = value * source.factor + (source.offset ?? 0);
  return (base - (target.offset ?? 0)) / target.factor;
}
