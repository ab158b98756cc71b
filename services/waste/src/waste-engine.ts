// The waste service's core, between the API, the consumers and the store: bins' fill models
// fed by readings (emptying detection, overflow risks), truck confirmations, and planning and
// re-planning through the routing interface in a worker thread. Bins, vehicles and fill
// models are cached in memory (one replica owns a city's bins) and written through to
// Postgres; events leave through the outbox in the transaction of the change.
import { randomBytes } from 'node:crypto';
import { BinEmptied, OverflowRiskRaised, RoutePlanned } from '@slimstad/contracts';
import { EmptiedBy } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import {
  activeTraceId,
  type Clock,
  enqueueEvent,
  failedPrecondition,
  invalidArgument,
  type Logger,
  localTime,
  type Metrics,
  notFound,
  type OutboxRelay,
} from '@slimstad/kit';
import type { Kysely } from 'kysely';
import { localMidnight, slotterFor } from './domain/calendar.js';
import {
  estimateAt,
  type FillSettings,
  type FillState,
  newFillState,
  resetCycle,
  type Slotter,
  updateFill,
} from './domain/fill-model.js';
import type { VehicleSpec, WasteStreamName } from './domain/model.js';
import { vehicleServes } from './domain/model.js';
import { newOverflowRisk, nextShiftStart } from './domain/overflow.js';
import {
  type BinView,
  type DueBin,
  demandOf,
  dueBins,
  layoutProblem,
  type PlanVehicle,
  routesFromSolution,
  shiftOf,
} from './domain/planning.js';
import type { DistanceMatrixProvider } from './matrix/distance-matrix.js';
import { type RoutingSolution, solveInWorker, validateSolution } from './routing/index.js';
import { type AuditRecord, writeAudit } from './store/audit.repository.js';
import type { WasteDatabase } from './store/db.js';
import {
  findPlan,
  insertPlan,
  markEmptied,
  markReplanned,
  openVisitOf,
  type StoredPlan,
} from './store/plan.repository.js';
import {
  type Db,
  insertReading,
  insertRejected,
  loadBins,
  loadFillStates,
  loadVehicles,
  type StoredBin,
  type StoredVehicle,
  saveFillState,
} from './store/topology.repository.js';
import { planToMessage, streamToWire } from './wire.js';

export interface WasteSettings {
  timeZone: string;
  thresholdPercent: number;
  fill: FillSettings;
  daysBetweenShifts: number;
  solveTimeLimitMs: number;
  latePenaltyPerSecond: number;
}

export interface FillReadingInput {
  deviceId: string;
  metric: string;
  unit: string;
  value: number;
  observedAt: number;
}

/** Metric names a bin_fill device may report, by what they measure. */
const FILL_METRICS = new Set(['fill_level', 'fill', 'level']);
const WEIGHT_METRICS = new Set(['weight', 'fill_weight']);
const SAME_EMPTYING_MS = 2 * 3_600_000;

export class WasteEngine {
  readonly slotOf: Slotter;
  private bins = new Map<string, StoredBin>();
  private byDevice = new Map<string, string>();
  private fills = new Map<string, FillState>();
  private vehicles = new Map<string, StoredVehicle>();
  private chains = new Map<string, Promise<unknown>>();
  private readonly m;

  constructor(
    private readonly deps: {
      db: Kysely<WasteDatabase>;
      clock: Clock;
      log: Logger;
      metrics: Metrics;
      relay: OutboxRelay;
      matrix: DistanceMatrixProvider;
      settings: WasteSettings;
    },
  ) {
    this.slotOf = slotterFor(deps.settings.timeZone);
    const { metrics } = deps;
    this.m = {
      readings: metrics.counter('readings_total', 'Fill readings handled, by outcome.', [
        'outcome',
      ]),
      emptied: metrics.counter('bins_emptied_total', 'Bins emptied, by how it became known.', [
        'by',
      ]),
      risks: metrics.counter(
        'overflow_risks_total',
        'Overflow risks raised (a bin predicted full before its next possible visit).',
        ['stream'],
      ),
      atRisk: metrics.gauge('bins_at_risk', 'Bins with an open overflow risk.', ['stream']),
      due: metrics.gauge('bins_due', 'Bins due in the last planned or previewed shift.', [
        'stream',
      ]),
      routeMeters: metrics.histogram(
        'planned_route_meters',
        'Length of each planned route.',
        ['stream'],
        [1_000, 5_000, 10_000, 20_000, 40_000, 80_000, 160_000],
      ),
      unassigned: metrics.gauge('unassigned_bins', 'Due bins the last plan could not route.', [
        'stream',
      ]),
      solve: metrics.histogram(
        'solve_seconds',
        'Wall time of one solver run (worker thread).',
        ['stream'],
        [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      ),
      plans: metrics.counter('plans_total', 'Plans made, by kind.', ['kind']),
    };
  }

  async start(): Promise<void> {
    const { db } = this.deps;
    this.bins = new Map((await loadBins(db)).map((b) => [b.spec.id, b]));
    this.byDevice = new Map([...this.bins.values()].map((b) => [b.spec.deviceId, b.spec.id]));
    this.fills = await loadFillStates(db);
    this.vehicles = new Map((await loadVehicles(db)).map((v) => [v.spec.id, v]));
    this.refreshRiskGauge();
  }

  now(): number {
    return this.deps.clock.now();
  }

  // --- bins and vehicles (the API writes through these so the caches stay true) ---

  bin(id: string): StoredBin | undefined {
    return this.bins.get(id);
  }
  fill(id: string): FillState | undefined {
    return this.fills.get(id);
  }
  allBins(): StoredBin[] {
    return [...this.bins.values()].sort((a, b) => a.spec.id.localeCompare(b.spec.id));
  }
  allVehicles(): StoredVehicle[] {
    return [...this.vehicles.values()].sort((a, b) => a.spec.id.localeCompare(b.spec.id));
  }
  vehicle(id: string): StoredVehicle | undefined {
    return this.vehicles.get(id);
  }
  deviceTaken(deviceId: string, exceptBin?: string): string | undefined {
    const owner = this.byDevice.get(deviceId);
    return owner !== undefined && owner !== exceptBin ? owner : undefined;
  }

  /** Runs `change` in a transaction with its audit record, then updates the caches. */
  async change<T>(
    audit: Omit<AuditRecord, 'at' | 'traceId'>,
    change: (trx: Db) => Promise<T>,
  ): Promise<T> {
    const result = await this.deps.db.transaction().execute(async (trx) => {
      const value = await change(trx);
      await writeAudit(trx, {
        ...audit,
        at: new Date(this.now()),
        traceId: activeTraceId(),
      });
      return value;
    });
    this.deps.relay.kick();
    return result;
  }

  cacheBin(bin: StoredBin): void {
    const previous = this.bins.get(bin.spec.id);
    if (previous) this.byDevice.delete(previous.spec.deviceId);
    this.bins.set(bin.spec.id, bin);
    this.byDevice.set(bin.spec.deviceId, bin.spec.id);
  }
  cacheVehicle(v: StoredVehicle): void {
    this.vehicles.set(v.spec.id, v);
  }

  // --- readings ---

  /** Serialises work per bin (readings, confirmations) while bins proceed in parallel. */
  private serial<T>(binId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(binId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.chains.set(binId, next);
    // Cleanup on either outcome; the caller handles the rejection (a `finally` here would
    // leave a second, unhandled one, which kills the process).
    const forget = () => {
      if (this.chains.get(binId) === next) this.chains.delete(binId);
    };
    next.then(forget, forget);
    return next;
  }

  /**
   * Folds one reading of a bin's sensor into its model. Readings of unknown devices and
   * metrics are kept in `rejected_reading` with their reason; stale ones (not newer than the
   * last) are ignored, which also makes redelivery harmless.
   */
  async onReading(r: FillReadingInput): Promise<'updated' | 'emptied' | 'stale' | 'rejected'> {
    const binId = this.byDevice.get(r.deviceId);
    const reject = async (reason: string) => {
      await insertRejected(this.deps.db, {
        receivedAt: this.now(),
        deviceId: r.deviceId,
        metric: r.metric,
        value: r.value,
        reason,
      });
      this.m.readings.inc({ outcome: 'rejected' });
      return 'rejected' as const;
    };
    if (binId === undefined) return reject('no bin has this device');
    const isFill = FILL_METRICS.has(r.metric);
    const isWeight = WEIGHT_METRICS.has(r.metric);
    if (!isFill && !isWeight)
      return reject(
        `metric ${r.metric} is neither a fill level (${[...FILL_METRICS].join(', ')}) nor a weight (${[...WEIGHT_METRICS].join(', ')})`,
      );
    if (!Number.isFinite(r.value) || r.value < 0 || (isFill && r.value > 100))
      return reject(`value ${r.value} is outside ${isFill ? '0-100 %' : '>= 0 kg'}`);
    if (isFill && r.unit !== '' && r.unit !== '%')
      return reject(`unit ${r.unit} is not % for a fill level`);
    if (isWeight && r.unit !== '' && r.unit !== 'kg')
      return reject(`unit ${r.unit} is not kg for a weight`);
    return this.serial(binId, async () => {
      const outcome = isFill ? await this.applyFill(binId, r) : await this.applyWeight(binId, r);
      this.m.readings.inc({ outcome });
      return outcome;
    });
  }

  private async applyWeight(binId: string, r: FillReadingInput): Promise<'updated' | 'stale'> {
    const fill = this.fills.get(binId);
    if (!fill) return 'stale'; // weight alone starts no model
    const next = { ...fill, measuredKg: r.value };
    await saveFillState(this.deps.db, binId, next);
    this.fills.set(binId, next);
    return 'updated';
  }

  private async applyFill(
    binId: string,
    r: FillReadingInput,
  ): Promise<'updated' | 'emptied' | 'stale'> {
    const bin = this.bins.get(binId) as StoredBin;
    const { settings } = this.deps;
    const current = this.fills.get(binId);
    const update = current
      ? updateFill(current, r.observedAt, r.value, this.slotOf, settings.fill)
      : ({ kind: 'updated', state: newFillState(r.observedAt, r.value, settings.fill) } as const);
    if (update.kind === 'stale') return 'stale';
    let state = update.state;
    await this.deps.db.transaction().execute(async (trx) => {
      await insertReading(trx, binId, r.observedAt, r.value, state.measuredKg);
      if (update.kind === 'emptied') {
        await this.emptied(
          trx,
          bin,
          r.observedAt,
          EmptiedBy.EMPTIED_BY_FILL_DROP,
          update.fillBefore,
        );
      }
      state = await this.checkOverflow(trx, bin, state, r.observedAt);
      await saveFillState(trx, binId, state);
    });
    // Memory follows the store only once it committed: a failed write leaves no risk marked
    // (the reading is redelivered and judged again) and no must-visit mark cleared.
    this.fills.set(binId, state);
    if (state.riskRaised && !update.state.riskRaised) this.m.risks.inc({ stream: bin.spec.stream });
    if (update.kind === 'emptied' && bin.mustVisit) {
      this.bins.set(binId, { ...bin, mustVisit: false });
    }
    this.deps.relay.kick();
    if (update.kind === 'emptied' || state.riskRaised !== current?.riskRaised) {
      this.refreshRiskGauge();
    }
    return update.kind;
  }

  /** Marks the bin's open visit, clears its must-visit mark, and publishes the emptying. */
  private async emptied(
    trx: Db,
    bin: StoredBin,
    at: number,
    by: EmptiedBy,
    fillBefore: number,
    vehicleId?: string,
  ): Promise<string | undefined> {
    const visit = await openVisitOf(trx, bin.spec.id);
    if (visit) await markEmptied(trx, visit, at);
    if (bin.mustVisit) {
      await trx
        .updateTable('bin')
        .set({ must_visit: false })
        .where('id', '=', bin.spec.id)
        .execute();
    }
    await enqueueEvent(
      trx as never,
      BinEmptied,
      { bin: bin.spec.id },
      {
        binId: bin.spec.id,
        stream: streamToWire(bin.spec.stream),
        emptiedBy: by,
        vehicleId: vehicleId ?? visit?.vehicleId ?? '',
        planId: visit?.planId ?? '',
        emptiedTime: new Date(at),
        fillBeforePercent: fillBefore,
      },
      'waste',
    );
    this.m.emptied.inc({ by: by === EmptiedBy.EMPTIED_BY_TRUCK ? 'truck' : 'fill_drop' });
    return visit?.planId;
  }

  /** The next time anyone can come: an open planned visit, else the next shift of its stream. */
  private async nextVisit(trx: Db, bin: StoredBin, now: number): Promise<number> {
    const visit = await openVisitOf(trx, bin.spec.id);
    if (visit && visit.arrival >= now) return visit.arrival;
    const fleet = this.allVehicles()
      .map((v) => v.spec)
      .filter((v) => vehicleServes(v, bin.spec.stream));
    const dayStartOf = (ms: number) =>
      localMidnight(localTime(ms, this.deps.settings.timeZone).date, this.deps.settings.timeZone);
    return nextShiftStart(fleet, now, dayStartOf) ?? now + 86_400_000;
  }

  private async checkOverflow(
    trx: Db,
    bin: StoredBin,
    state: FillState,
    now: number,
  ): Promise<FillState> {
    if (state.riskRaised) return state;
    const nextVisit = await this.nextVisit(trx, bin, now);
    const full = newOverflowRisk(state, now, nextVisit, this.slotOf);
    if (full === undefined) return state;
    await enqueueEvent(
      trx as never,
      OverflowRiskRaised,
      { stream: bin.spec.stream, bin: bin.spec.id },
      {
        binId: bin.spec.id,
        stream: streamToWire(bin.spec.stream),
        estimatedPercent: estimateAt(state, now, this.slotOf),
        predictedFullTime: new Date(full),
        nextVisitTime: new Date(nextVisit),
        detectTime: new Date(now),
        latitude: bin.spec.location.latitude,
        longitude: bin.spec.location.longitude,
      },
      'waste',
    );
    this.deps.log.info(
      {
        bin: bin.spec.id,
        full: new Date(full).toISOString(),
        nextVisit: new Date(nextVisit).toISOString(),
      },
      'overflow risk raised',
    );
    return { ...state, riskRaised: true };
  }

  private refreshRiskGauge(): void {
    const counts = new Map<string, number>();
    for (const bin of this.bins.values()) {
      const fill = this.fills.get(bin.spec.id);
      counts.set(bin.spec.stream, (counts.get(bin.spec.stream) ?? 0) + (fill?.riskRaised ? 1 : 0));
    }
    for (const [stream, n] of counts) this.m.atRisk.set({ stream }, n);
  }

  /** A truck crew confirms a bin emptied; resolves with the plan whose visit it completed. */
  async recordEmptied(
    binId: string,
    vehicleId: string,
    at: number,
    actor: string,
  ): Promise<string | undefined> {
    const bin = this.bins.get(binId);
    if (!bin) throw notFound(`bin ${binId}`);
    if (!this.vehicles.has(vehicleId))
      throw invalidArgument(`vehicle ${vehicleId} does not exist`, [
        { field: 'vehicle_id', description: `vehicle ${vehicleId} does not exist` },
      ]);
    return this.serial(binId, async () => {
      const fill = this.fills.get(binId);
      // The sensor saw the drop already: the same emptying, not a second one.
      const seen =
        fill?.lastEmptiedAt !== undefined && Math.abs(at - fill.lastEmptiedAt) <= SAME_EMPTYING_MS;
      let state = fill;
      const planId = await this.change(
        {
          actor,
          action: 'bin.emptied',
          target: binId,
          detail: `vehicle ${vehicleId} at ${new Date(at).toISOString()}`,
        },
        async (trx) => {
          let plan: string | undefined;
          if (seen) {
            const visit = await openVisitOf(trx, binId);
            if (visit) await markEmptied(trx, visit, at);
            plan = visit?.planId;
          } else {
            plan = await this.emptied(
              trx,
              bin,
              at,
              EmptiedBy.EMPTIED_BY_TRUCK,
              fill ? estimateAt(fill, at, this.slotOf) : 0,
              vehicleId,
            );
            if (fill) {
              state = resetCycle(fill, at, 0);
              await saveFillState(trx, binId, state);
            }
          }
          return plan;
        },
      );
      if (state) this.fills.set(binId, state);
      if (!seen && bin.mustVisit) this.bins.set(binId, { ...bin, mustVisit: false });
      this.refreshRiskGauge();
      return planId;
    });
  }

  // --- planning ---

  private dayStart(date: string): number {
    return localMidnight(date, this.deps.settings.timeZone);
  }

  today(): string {
    return localTime(this.now(), this.deps.settings.timeZone).date;
  }

  private fleetFor(stream: WasteStreamName, ids: readonly string[]): VehicleSpec[] {
    if (ids.length > 0) {
      return ids.map((id, i) => {
        const v = this.vehicles.get(id);
        if (!v)
          throw invalidArgument(`vehicle ${id} does not exist`, [
            { field: `vehicle_ids[${i}]`, description: `vehicle ${id} does not exist` },
          ]);
        if (!vehicleServes(v.spec, stream))
          throw invalidArgument(`vehicle ${id} does not collect ${stream}`, [
            { field: `vehicle_ids[${i}]`, description: `does not collect ${stream}` },
          ]);
        return v.spec;
      });
    }
    const fleet = this.allVehicles()
      .map((v) => v.spec)
      .filter((v) => vehicleServes(v, stream));
    if (fleet.length === 0)
      throw failedPrecondition(
        `no vehicle collects ${stream}: add one (slimstad waste vehicles create)`,
      );
    return fleet;
  }

  private views(stream: WasteStreamName): BinView[] {
    return this.allBins()
      .filter((b) => b.spec.stream === stream)
      .map((b) => ({ spec: b.spec, fill: this.fills.get(b.spec.id), mustVisit: b.mustVisit }));
  }

  /** The bins a shift of a stream must visit. */
  due(stream: WasteStreamName, date: string): DueBin[] {
    const fleet = this.fleetFor(stream, []);
    const shift = shiftOf(fleet, this.dayStart(date), this.deps.settings.daysBetweenShifts);
    if (!shift) return [];
    const due = dueBins({
      bins: this.views(stream),
      stream,
      shiftStart: Math.max(shift.start, Math.min(this.now(), shift.end)),
      nextShiftStart: shift.nextStart,
      threshold: this.deps.settings.thresholdPercent,
      slotOf: this.slotOf,
    });
    this.m.due.set({ stream }, due.length);
    return due;
  }

  async plan(request: {
    stream: WasteStreamName;
    date: string;
    vehicleIds: readonly string[];
    timeLimitMs?: number;
    seed?: number;
    actor: string;
  }): Promise<StoredPlan> {
    const fleet = this.fleetFor(request.stream, request.vehicleIds);
    const dayStart = this.dayStart(request.date);
    const shift = shiftOf(fleet, dayStart, this.deps.settings.daysBetweenShifts);
    if (!shift) throw failedPrecondition('no shift');
    const due = this.due(request.stream, request.date);
    const views = new Map(this.views(request.stream).map((v) => [v.spec.id, v]));
    const demandAt = Math.max(shift.start, this.now());
    const stops = due.map((d) => demandOf(views.get(d.binId) as BinView, demandAt, this.slotOf));
    return this.solveAndStore({
      stream: request.stream,
      date: request.date,
      dayStart,
      stops,
      vehicles: fleet.map((spec) => ({
        spec,
        start: { point: spec.depot, at: Math.max(this.now(), dayStart) },
      })),
      timeLimitMs: request.timeLimitMs,
      seed: request.seed,
      actor: request.actor,
      kind: 'plan',
    });
  }

  /** Re-plans what a plan has not done yet, from now and from where each truck is. */
  async replan(
    planId: string,
    timeLimitMs: number | undefined,
    actor: string,
  ): Promise<StoredPlan> {
    const old = await findPlan(this.deps.db, planId);
    if (!old) throw notFound(`plan ${planId}`);
    const stream = old.stream as WasteStreamName;
    const now = this.now();
    const remaining = old.routes.flatMap((r) =>
      r.visits.filter((v) => v.status === 'planned' && v.binId).map((v) => v.binId as string),
    );
    if (remaining.length === 0)
      throw failedPrecondition(`plan ${planId} has no visits left to re-plan`);
    const fleet = this.fleetFor(stream, []);
    const onBoard = new Map<string, { litres: number; kg: number }>();
    const vehicles: PlanVehicle[] = fleet.map((spec) => {
      const route = old.routes.find((r) => r.vehicleId === spec.id);
      const done = route?.visits.filter(
        (v) => v.status === 'emptied' || (v.unload && v.departure <= now),
      );
      const last = done?.[done.length - 1];
      const lastBin = last?.binId ? this.bins.get(last.binId) : undefined;
      if (last && !last.unload) onBoard.set(spec.id, { litres: last.loadLitres, kg: last.loadKg });
      return {
        spec,
        start: { point: lastBin?.spec.location ?? spec.depot, at: now },
        onBoard: onBoard.get(spec.id),
      };
    });
    const views = new Map(this.views(stream).map((v) => [v.spec.id, v]));
    const stops = remaining
      .filter((id) => views.has(id))
      .map((id) => demandOf(views.get(id) as BinView, now, this.slotOf));
    return this.solveAndStore({
      stream,
      date: old.shiftDate,
      dayStart: old.dayStart,
      stops,
      vehicles,
      timeLimitMs,
      actor,
      kind: 'replan',
      replaces: { planId, binIds: remaining },
    });
  }

  private async solveAndStore(input: {
    stream: WasteStreamName;
    date: string;
    dayStart: number;
    stops: ReturnType<typeof demandOf>[];
    vehicles: PlanVehicle[];
    timeLimitMs?: number;
    seed?: number;
    actor: string;
    kind: 'plan' | 'replan';
    replaces?: { planId: string; binIds: string[] };
  }): Promise<StoredPlan> {
    const { settings, log } = this.deps;
    const layout = layoutProblem(input.stops, input.vehicles, {
      dayStart: input.dayStart,
      latePenaltyPerSecond: settings.latePenaltyPerSecond,
    });
    const matrix = await this.deps.matrix.matrix(layout.points);
    const problem = layout.build(matrix);
    const started = performance.now();
    const solution: RoutingSolution = await solveInWorker(problem, {
      seed: input.seed || 1,
      timeLimitMs: input.timeLimitMs || settings.solveTimeLimitMs,
      // A day's plan settles long before the limit when it is small: stop when it has.
      stallIterations: 5_000 + 100 * problem.stops.length,
    });
    this.m.solve.observe({ stream: input.stream }, (performance.now() - started) / 1000);
    const problems = validateSolution(problem, solution);
    if (problems.length > 0) {
      log.error({ problems: problems.slice(0, 10) }, 'solver returned an infeasible solution');
      throw new Error(`solver returned an infeasible solution: ${problems[0]}`);
    }
    const { routes, unassigned } = routesFromSolution(solution, input.dayStart);
    const createdAt = new Date(this.now());
    const id = `plan-${createdAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
    const plan = {
      id,
      stream: input.stream,
      shiftDate: input.date,
      dayStart: input.dayStart,
      distanceMeters: solution.distance,
      matrixSource: matrix.source,
      replacesPlanId: input.replaces?.planId,
      routes,
      unassigned,
      createdBy: input.actor,
      createdAt,
    };
    const stored: StoredPlan = {
      ...plan,
      routes: routes.map((r) => ({
        ...r,
        visits: r.visits.map((v) => ({ ...v, status: 'planned' as const })),
      })),
    };
    await this.change(
      {
        actor: input.actor,
        action: input.kind === 'plan' ? 'plan.create' : 'plan.replan',
        target: id,
        detail: `${input.stream} ${input.date}: ${input.stops.length} bins, ${routes.length} routes, ${Math.round(solution.distance)} m, ${unassigned.length} unassigned${input.replaces ? `, replaces ${input.replaces.planId}` : ''}`,
      },
      async (trx) => {
        if (input.replaces) {
          await markReplanned(trx, input.replaces.planId, input.replaces.binIds);
          await writeAudit(trx, {
            at: createdAt,
            actor: input.actor,
            action: 'plan.replanned',
            target: input.replaces.planId,
            detail: `remaining visits moved to ${id}`,
            traceId: activeTraceId(),
          });
        }
        await insertPlan(trx, plan);
        await enqueueEvent(
          trx as never,
          RoutePlanned,
          { stream: input.stream },
          { plan: planToMessage(stored) },
          'waste',
        );
      },
    );
    this.m.plans.inc({ kind: input.kind });
    this.m.unassigned.set({ stream: input.stream }, unassigned.length);
    for (const r of routes) this.m.routeMeters.observe({ stream: input.stream }, r.distanceMeters);
    log.info(
      {
        plan: id,
        stream: input.stream,
        routes: routes.length,
        meters: Math.round(solution.distance),
        source: matrix.source,
      },
      'routes planned',
    );
    return stored;
  }

  /** Settles in-flight per-bin work. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }
}
