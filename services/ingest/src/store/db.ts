// The ingest schema's tables, composed from each store's table types.
import type { DeviceTables } from './device.table.js';
import type { ReadingTables } from './reading.table.js';

export interface IngestDatabase extends DeviceTables, ReadingTables {}
