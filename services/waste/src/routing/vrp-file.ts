// TSPLIB/CVRPLIB `.vrp` reading for benchmarks and tests. Distances follow the CVRPLIB
// convention for EUC_2D instances (Uchoa et al. 2017): Euclidean distance rounded to the
// nearest integer, which is what the best-known costs in bks.csv are measured in.
import type { RoutingProblem, RoutingVehicle } from './types.js';

export interface CvrpInstance {
  name: string;
  /** Nodes including the depot. */
  dimension: number;
  capacity: number;
  /** Node coordinates, node i (0-based, file id i+1) at [2i, 2i+1]. */
  coords: Float64Array;
  /** Demand per node (0-based). */
  demands: Int32Array;
  /** 0-based node index of the depot. */
  depot: number;
}

/** Parses a CVRP instance; throws with the line and the reason on anything it cannot use. */
export function parseVrp(text: string): CvrpInstance {
  const lines = text.split(/\r?\n/);
  let name = '';
  let dimension = -1;
  let capacity = -1;
  let section: 'none' | 'coords' | 'demands' | 'depot' = 'none';
  let coords: Float64Array | undefined;
  let demands: Int32Array | undefined;
  let seenCoords = 0;
  let seenDemands = 0;
  let depot = -1;
  const fail = (lineNo: number, why: string): never => {
    throw new Error(`.vrp line ${lineNo}: ${why}`);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line === 'EOF') continue;
    const header = /^([A-Z_]+)\s*:\s*(.*)$/.exec(line);
    if (header) {
      section = 'none';
      const key = header[1]!;
      const value = header[2]!.trim();
      if (key === 'NAME') name = value;
      else if (key === 'DIMENSION') dimension = Number(value);
      else if (key === 'CAPACITY') capacity = Number(value);
      else if (key === 'TYPE' && value !== 'CVRP') fail(i + 1, `TYPE ${value} is not CVRP`);
      else if (key === 'EDGE_WEIGHT_TYPE' && value !== 'EUC_2D')
        fail(i + 1, `EDGE_WEIGHT_TYPE ${value} is not supported (only EUC_2D)`);
      continue;
    }
    if (/^[A-Z_]+$/.test(line)) {
      if (!Number.isInteger(dimension) || dimension < 2)
        fail(i + 1, `${line} before a valid DIMENSION (need an integer >= 2)`);
      if (line === 'NODE_COORD_SECTION') {
        section = 'coords';
        coords = new Float64Array(2 * dimension);
      } else if (line === 'DEMAND_SECTION') {
        section = 'demands';
        demands = new Int32Array(dimension);
      } else if (line === 'DEPOT_SECTION') section = 'depot';
      else fail(i + 1, `unknown section ${line}`);
      continue;
    }
    const parts = line.split(/\s+/).map(Number);
    if (parts.some((x) => !Number.isFinite(x))) fail(i + 1, `not a number in "${line}"`);
    if (section === 'coords') {
      const [id, x, y] = parts;
      if (parts.length !== 3 || !Number.isInteger(id) || id! < 1 || id! > dimension)
        fail(i + 1, `expected "<id 1..${dimension}> <x> <y>"`);
      coords![2 * (id! - 1)] = x!;
      coords![2 * (id! - 1) + 1] = y!;
      seenCoords++;
    } else if (section === 'demands') {
      const [id, q] = parts;
      if (parts.length !== 2 || !Number.isInteger(id) || id! < 1 || id! > dimension)
        fail(i + 1, `expected "<id 1..${dimension}> <demand>"`);
      if (!Number.isInteger(q) || q! < 0) fail(i + 1, `demand must be a non-negative integer`);
      demands![id! - 1] = q!;
      seenDemands++;
    } else if (section === 'depot') {
      const id = parts[0]!;
      if (id === -1) section = 'none';
      else if (depot >= 0) fail(i + 1, 'only one depot is supported');
      else if (!Number.isInteger(id) || id < 1 || id > dimension)
        fail(i + 1, `depot ${id} outside 1..${dimension}`);
      else depot = id - 1;
    } else fail(i + 1, `data outside a section: "${line}"`);
  }
  if (!Number.isInteger(capacity) || capacity <= 0) fail(0, 'CAPACITY missing or not positive');
  if (!coords || seenCoords !== dimension)
    fail(0, `NODE_COORD_SECTION has ${seenCoords} nodes, DIMENSION says ${dimension}`);
  if (!demands || seenDemands !== dimension)
    fail(0, `DEMAND_SECTION has ${seenDemands} nodes, DIMENSION says ${dimension}`);
  if (depot < 0) fail(0, 'DEPOT_SECTION missing');
  for (let i = 0; i < dimension; i++)
    if (demands![i]! > capacity) fail(0, `node ${i + 1} demands more than the capacity`);
  return { name, dimension, capacity, coords: coords!, demands: demands!, depot };
}

/** CVRPLIB distance between two nodes: Euclidean, rounded to the nearest integer. */
export function cvrpDistance(inst: CvrpInstance, a: number, b: number): number {
  const dx = inst.coords[2 * a]! - inst.coords[2 * b]!;
  const dy = inst.coords[2 * a + 1]! - inst.coords[2 * b + 1]!;
  return Math.round(Math.sqrt(dx * dx + dy * dy));
}

/** Locations are the instance's nodes; stop ids are CVRPLIB customer numbers (node id - 1,
 *  as in .sol files); one identical vehicle per customer (the fleet is unlimited). */
export function cvrpToProblem(inst: CvrpInstance): RoutingProblem {
  const n = inst.dimension;
  const distances = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) distances[a * n + b] = cvrpDistance(inst, a, b);
  const stops = [];
  for (let i = 0; i < n; i++) {
    if (i === inst.depot) continue;
    stops.push({ id: String(i), location: i, demand: [inst.demands[i]!], serviceSeconds: 0 });
  }
  const vehicles: RoutingVehicle[] = [];
  for (let k = 0; k < stops.length; k++)
    vehicles.push({
      id: `v${k + 1}`,
      capacity: [inst.capacity],
      startLocation: inst.depot,
      endLocation: inst.depot,
      shift: { start: 0, end: Number.MAX_SAFE_INTEGER },
    });
  return { durations: distances, distances, locationCount: n, stops, vehicles };
}

/** Cost of routes given as lists of node indices (0-based, depot excluded), recomputed from
 *  coordinates; throws if a route is over capacity or a customer is missing or repeated. */
export function cvrpCost(inst: CvrpInstance, routes: number[][]): number {
  const seen = new Uint8Array(inst.dimension);
  let cost = 0;
  for (const [r, route] of routes.entries()) {
    let load = 0;
    let prev = inst.depot;
    for (const node of route) {
      if (!Number.isInteger(node) || node < 0 || node >= inst.dimension || node === inst.depot)
        throw new Error(`route ${r + 1}: ${node} is not a customer`);
      if (seen[node]) throw new Error(`customer ${node} is visited twice`);
      seen[node] = 1;
      load += inst.demands[node]!;
      cost += cvrpDistance(inst, prev, node);
      prev = node;
    }
    cost += cvrpDistance(inst, prev, inst.depot);
    if (load > inst.capacity) throw new Error(`route ${r + 1}: load ${load} > ${inst.capacity}`);
  }
  for (let i = 0; i < inst.dimension; i++)
    if (i !== inst.depot && !seen[i]) throw new Error(`customer ${i} is not visited`);
  return cost;
}
