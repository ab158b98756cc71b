// The parsers of `slimstad waste …`: streams, daily windows, points, quantities, durations.
import { WasteStream } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { describe, expect, it } from 'vitest';
import {
  clockText,
  dailyWindow,
  minutes,
  point,
  positive,
  seconds,
  streamList,
  wasteStream,
} from './waste-args.js';

const refusal = (parse: (raw: string) => unknown, raw: string) => {
  try {
    parse(raw);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('waste arguments', () => {
  it('reads streams as tokens and lists', () => {
    expect(wasteStream('glass')).toBe(WasteStream.WASTE_STREAM_GLASS);
    expect(wasteStream('PMD')).toBe(WasteStream.WASTE_STREAM_PMD);
    expect(streamList('glass, paper,glass')).toEqual([
      WasteStream.WASTE_STREAM_GLASS,
      WasteStream.WASTE_STREAM_PAPER,
    ]);
    expect(refusal(wasteStream, 'gold')).toBe(
      'must be one of residual, paper, glass, pmd, organic.',
    );
    expect(refusal(streamList, 'glass,')).toBe(
      'must name streams separated by commas, e.g. glass,pmd.',
    );
  });

  it('reads daily windows and writes them back', () => {
    expect(dailyWindow('07:00-15:30')).toEqual({ start: 420, end: 930 });
    expect(dailyWindow('22:00-24:00')).toEqual({ start: 1320, end: 1440 });
    expect(refusal(dailyWindow, '7-15')).toBe('must be HH:MM-HH:MM, e.g. 07:00-15:00.');
    expect(refusal(dailyWindow, '15:00-07:00')).toBe('must end after it starts.');
    expect(clockText(930)).toBe('15:30');
  });

  it('reads points, quantities and durations', () => {
    expect(point('51.05,3.72')).toEqual({ latitude: 51.05, longitude: 3.72 });
    expect(refusal(point, '51.05')).toBe('must be latitude,longitude, e.g. 51.05,3.72.');
    expect(refusal(point, '91,3')).toMatch(/90/);
    expect(positive('2500')).toBe(2500);
    expect(refusal(positive, '0')).toBe('must be a number above 0.');
    expect(seconds('900')).toBe(900);
    expect(refusal(seconds, '1.5')).toBe('must be whole seconds from 0 to 14400.');
    expect(minutes('7h30m')).toBe(450);
    expect(minutes('90m')).toBe(90);
    expect(refusal(minutes, '25h')).toBe('must be a duration of at most a day, e.g. 7h or 7h30m.');
  });
});
