// The waste domain's vocabulary: bins, vehicles and the streams they serve. Pure types.

export const WASTE_STREAMS = ['residual', 'paper', 'glass', 'pmd', 'organic'] as const;
export type WasteStreamName = (typeof WASTE_STREAMS)[number];

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

/** Daily access window in local minutes; soft windows may be missed at a penalty. */
export interface AccessWindow {
  startMinute: number;
  endMinute: number;
  soft: boolean;
}

export interface BinSpec {
  id: string;
  name: string;
  location: GeoPoint;
  volumeLitres: number;
  stream: WasteStreamName;
  /** The fill sensor's registry id. */
  deviceId: string;
  accessWindow?: AccessWindow;
}

export interface VehicleSpec {
  id: string;
  name: string;
  /** Empty: every stream. */
  streams: WasteStreamName[];
  capacityLitres: number;
  capacityKg: number;
  depot: GeoPoint;
  unloadLocation?: GeoPoint;
  shiftStartMinute: number;
  shiftEndMinute: number;
  /** 0: the whole shift. */
  maxRouteMinutes: number;
  serviceSeconds: number;
  unloadSeconds: number;
}

/**
 * Loose bulk density of each stream in a street bin, kg per litre — rough figures from
 * municipal waste characterisation (glass is heavy, PMD light); used only when a bin's sensor
 * reports no weight.
 */
export const BULK_DENSITY_KG_PER_L: Readonly<Record<WasteStreamName, number>> = {
  residual: 0.12,
  paper: 0.06,
  glass: 0.3,
  pmd: 0.03,
  organic: 0.4,
};

export const vehicleServes = (v: VehicleSpec, stream: WasteStreamName) =>
  v.streams.length === 0 || v.streams.includes(stream);
