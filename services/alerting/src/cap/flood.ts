// Flood warnings tell residents where the nearest sandbags are (the regional hub's lesson:
// a warning with an action is followed). From the warning area and the registry of resource
// points: the k nearest sandbag distribution points by great-circle distance, and the CAP
// `instruction` text naming them, in English, Dutch and French. Pure.
import {
  areaCenter,
  type Circle,
  type LatLon,
  type NearbyPoint,
  nearestResourcePoints,
  type ResourcePoint,
} from './geo.js';
import type { CapArea, CapInfo, CapInfoContent } from './message.js';

export type InstructionLanguage = 'en' | 'nl' | 'fr';

/** CAP language tags per instruction language (Belgian/Dutch municipalities: override as needed). */
export const DEFAULT_LANGUAGE_TAGS: Record<InstructionLanguage, string> = {
  en: 'en-GB',
  nl: 'nl-BE',
  fr: 'fr-BE',
};

export const SANDBAGS = 'sandbags';

/** The sandbag points nearest to an area (polygon centroid or circle centre). */
export function nearestSandbagPoints(
  area: { polygon: readonly LatLon[] } | { circle: Circle },
  registry: readonly ResourcePoint[],
  k = 3,
): NearbyPoint[] {
  return nearestResourcePoints(areaCenter(area), registry, { k, kind: SANDBAGS });
}

const TEXT: Record<
  InstructionLanguage,
  { intro: string; none: string; km: (d: number) => string }
> = {
  en: {
    intro:
      'Protect doors, basement windows and other low openings against water. Sandbags are available at the nearest distribution points:',
    none: 'Protect doors, basement windows and other low openings against water. No sandbag distribution point is open near this area; call the municipality.',
    km: (d) => `${d.toFixed(1)} km`,
  },
  nl: {
    intro:
      'Bescherm deuren, kelderramen en andere lage openingen tegen water. Zandzakken zijn verkrijgbaar bij de dichtstbijzijnde uitdeelpunten:',
    none: 'Bescherm deuren, kelderramen en andere lage openingen tegen water. Er is geen uitdeelpunt voor zandzakken in de buurt; bel de gemeente.',
    km: (d) => `${d.toFixed(1).replace('.', ',')} km`,
  },
  fr: {
    intro:
      "Protégez les portes, les soupiraux et les autres ouvertures basses contre l'eau. Des sacs de sable sont disponibles aux points de distribution les plus proches :",
    none: "Protégez les portes, les soupiraux et les autres ouvertures basses contre l'eau. Aucun point de distribution de sacs de sable n'est ouvert près de cette zone ; appelez la commune.",
    km: (d) => `${d.toFixed(1).replace('.', ',')} km`,
  },
};

/** The instruction naming the nearest points, e.g. `… 1. Depot Noord (0.8 km; 08:00–20:00) 2. …`. */
export function sandbagInstruction(
  nearest: readonly NearbyPoint[],
  language: InstructionLanguage = 'en',
): string {
  const t = TEXT[language];
  if (nearest.length === 0) return t.none;
  const items = nearest.map(
    ({ point, distanceKm }, i) =>
      `${i + 1}. ${point.name} (${t.km(distanceKm)}${point.opening ? `; ${point.opening}` : ''})`,
  );
  return `${t.intro} ${items.join(' ')}`;
}

export interface SandbagAdvice {
  /** The point distances are measured from: the polygon's centroid or the circle's centre. */
  center: LatLon;
  /** Nearest first, with great-circle distances. */
  nearest: NearbyPoint[];
  /** The instruction text per language. */
  instructions: Record<InstructionLanguage, string>;
}

/**
 * Everything a flood warning says about sandbags, in one pure call: the area's centre, the k
 * nearest sandbag points with distances, and the instruction in English, Dutch and French.
 */
export function sandbagAdvice(
  area: { polygon: readonly LatLon[] } | { circle: Circle },
  registry: readonly ResourcePoint[],
  k = 3,
): SandbagAdvice {
  const center = areaCenter(area);
  const nearest = nearestResourcePoints(center, registry, { k, kind: SANDBAGS });
  return {
    center,
    nearest,
    instructions: {
      en: sandbagInstruction(nearest, 'en'),
      nl: sandbagInstruction(nearest, 'nl'),
      fr: sandbagInstruction(nearest, 'fr'),
    },
  };
}

export interface FloodInfoInput {
  /** The warning area; its first polygon (else circle) locates the nearest points. */
  area: CapArea;
  registry: readonly ResourcePoint[];
  /** How many points to name; default 3. */
  k?: number;
  /** The info content shared by all languages, minus language, headline, description, instruction. */
  common: Omit<CapInfoContent, 'language' | 'headline' | 'description' | 'instruction' | 'areas'>;
  /** Per language: headline and description (an English block is required). */
  texts: Partial<Record<InstructionLanguage, { headline: string; description: string }>> & {
    en: { headline: string; description: string };
  };
  languageTags?: Partial<Record<InstructionLanguage, string>>;
}

/**
 * Info blocks for a flood warning, one per language in `texts` (English first), each with the
 * instruction naming the nearest sandbag points and the points as CAP parameters.
 */
export function floodInfo(input: FloodInfoInput): { info: CapInfo[]; nearest: NearbyPoint[] } {
  const polygon = input.area.polygons?.[0];
  const circle = input.area.circles?.[0];
  if (!polygon && !circle)
    throw new Error('floodInfo: the area needs a polygon or a circle to find the nearest sandbags');
  const nearest = nearestSandbagPoints(
    polygon ? { polygon } : { circle: circle! },
    input.registry,
    input.k ?? 3,
  );
  const tags = { ...DEFAULT_LANGUAGE_TAGS, ...input.languageTags };
  const languages = (['en', 'nl', 'fr'] as const).filter((l) => input.texts[l] !== undefined);
  const info = languages.map(
    (l): CapInfo => ({
      ...input.common,
      language: tags[l],
      headline: input.texts[l]!.headline,
      description: input.texts[l]!.description,
      instruction: sandbagInstruction(nearest, l),
      parameters: [
        ...(input.common.parameters ?? []),
        ...nearest.map(({ point, distanceKm }) => ({
          valueName: 'sandbagPoint',
          value: `${point.id} ${distanceKm.toFixed(2)} km`,
        })),
      ],
      areas: [input.area],
    }),
  );
  return { info, nearest };
}
