// An independent check of a solution against its problem. It shares no code with the solver:
// it replays every route from the problem's own data and reports each violation it finds.
import type { RoutingProblem, RoutingSolution } from './types.js';

/** Slack for floating-point sums of times and distances. */
const EPS = 1e-6;

export function validateSolution(problem: RoutingProblem, solution: RoutingSolution): string[] {
  const errors: string[] = [];
  const L = problem.locationCount;
  const stops = new Map(problem.stops.map((s) => [s.id, s]));
  const vehicles = new Map(problem.vehicles.map((v) => [v.id, v]));
  const served = new Set<string>();
  const usedVehicles = new Set<string>();
  const latePenalty = problem.latePenaltyPerSecond ?? 0;
  let totalDistance = 0;
  let totalLate = 0;
  const close = (a: number, b: number) =>
    Math.abs(a - b) <= EPS * Math.max(1, Math.abs(a), Math.abs(b));

  for (const route of solution.routes) {
    const v = vehicles.get(route.vehicleId);
    const where = `route of ${route.vehicleId}`;
    if (!v) {
      errors.push(`${where}: unknown vehicle`);
      continue;
    }
    if (usedVehicles.has(v.id)) errors.push(`${where}: vehicle has more than one route`);
    usedVehicles.add(v.id);
    if (route.start < v.shift.start - EPS)
      errors.push(`${where}: leaves at ${route.start}, before its shift starts`);
    let t = route.start;
    let loc = v.startLocation;
    let distance = 0;
    let late = 0;
    const load = v.capacity.map(() => 0);
    for (const [i, visit] of route.visits.entries()) {
      const at = `${where}, visit ${i + 1}`;
      if (!Number.isInteger(visit.location) || visit.location < 0 || visit.location >= L) {
        errors.push(`${at}: location ${visit.location} outside the matrices`);
        break;
      }
      const arrivalMin = t + problem.durations[loc * L + visit.location]!;
      distance += problem.distances[loc * L + visit.location]!;
      if (visit.arrival < arrivalMin - EPS)
        errors.push(`${at}: arrives at ${visit.arrival}, cannot before ${arrivalMin}`);
      if (visit.start < visit.arrival - EPS) errors.push(`${at}: starts before it arrives`);
      if (visit.kind === 'unload') {
        if (!(v.unloadLocations ?? []).includes(visit.location))
          errors.push(
            `${at}: unloads at ${visit.location}, not one of the vehicle's unload locations`,
          );
        if (visit.departure < visit.start + (v.unloadSeconds ?? 0) - EPS)
          errors.push(`${at}: leaves before unloading is done`);
        load.fill(0);
      } else {
        const stop = visit.stopId === undefined ? undefined : stops.get(visit.stopId);
        if (!stop) {
          errors.push(`${at}: unknown stop ${visit.stopId}`);
          break;
        }
        if (served.has(stop.id)) errors.push(`${at}: stop ${stop.id} is served more than once`);
        served.add(stop.id);
        if (visit.location !== stop.location)
          errors.push(`${at}: stop ${stop.id} is at ${stop.location}, not ${visit.location}`);
        let lateHere = 0;
        if (stop.window) {
          if (visit.start < stop.window.start - EPS)
            errors.push(`${at}: stop ${stop.id} served at ${visit.start}, before its window opens`);
          if (visit.arrival > stop.window.end + EPS) {
            if (!stop.window.soft)
              errors.push(
                `${at}: stop ${stop.id} reached at ${visit.arrival}, after its hard window closed at ${stop.window.end}`,
              );
            lateHere = visit.arrival - stop.window.end;
          }
        }
        if (!close(visit.lateSeconds, lateHere))
          errors.push(`${at}: reports ${visit.lateSeconds} s late, replay gives ${lateHere}`);
        late += lateHere;
        if (visit.departure < visit.start + stop.serviceSeconds - EPS)
          errors.push(`${at}: leaves before the service of ${stop.id} is done`);
        for (let d = 0; d < load.length; d++) load[d] = load[d]! + (stop.demand[d] ?? 0);
        for (let d = 0; d < load.length; d++)
          if (load[d]! > v.capacity[d]! + EPS)
            errors.push(`${at}: load ${load[d]} over capacity ${v.capacity[d]} (dimension ${d})`);
      }
      if (
        visit.loadAfter.length !== load.length ||
        visit.loadAfter.some((x, d) => !close(x, load[d]!))
      )
        errors.push(
          `${at}: reports load ${visit.loadAfter.join('/')}, replay gives ${load.join('/')}`,
        );
      t = visit.departure;
      loc = visit.location;
    }
    if ((v.unloadLocations ?? []).length > 0 && load.some((x) => x > EPS))
      errors.push(`${where}: returns loaded without unloading`);
    const endMin = t + problem.durations[loc * L + v.endLocation]!;
    distance += problem.distances[loc * L + v.endLocation]!;
    if (route.end < endMin - EPS)
      errors.push(`${where}: back at ${route.end}, cannot before ${endMin}`);
    if (route.end > v.shift.end + EPS)
      errors.push(`${where}: back at ${route.end}, after the shift ends at ${v.shift.end}`);
    if (v.maxDurationSeconds !== undefined && route.end - route.start > v.maxDurationSeconds + EPS)
      errors.push(
        `${where}: lasts ${route.end - route.start} s, more than ${v.maxDurationSeconds}`,
      );
    if (!close(route.duration, route.end - route.start))
      errors.push(`${where}: duration is not end - start`);
    if (!close(route.distance, distance))
      errors.push(`${where}: reports ${route.distance} m, replay gives ${distance}`);
    if (!close(route.lateSeconds, late))
      errors.push(`${where}: reports ${route.lateSeconds} s late, replay gives ${late}`);
    totalDistance += distance;
    totalLate += late;
  }
  const unassigned = new Set<string>();
  for (const u of solution.unassigned) {
    if (!stops.has(u.stopId)) errors.push(`unassigned: unknown stop ${u.stopId}`);
    if (served.has(u.stopId)) errors.push(`stop ${u.stopId} is both served and unassigned`);
    if (unassigned.has(u.stopId)) errors.push(`stop ${u.stopId} is unassigned twice`);
    if (!u.reason) errors.push(`stop ${u.stopId} is unassigned without a reason`);
    unassigned.add(u.stopId);
  }
  for (const id of stops.keys())
    if (!served.has(id) && !unassigned.has(id))
      errors.push(`stop ${id} is neither served nor unassigned`);
  if (!close(solution.distance, totalDistance))
    errors.push(`solution reports ${solution.distance} m, routes add up to ${totalDistance}`);
  const routed = totalDistance + latePenalty * totalLate;
  if (unassigned.size === 0 ? !close(solution.cost, routed) : solution.cost <= routed)
    errors.push(
      `solution cost ${solution.cost} does not match distance and late penalties ${routed}`,
    );
  return errors;
}
