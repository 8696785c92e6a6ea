/** A floor or peer measured in the same run, in the same unit as the metric. */
export interface BenchFloor {
  name: string;
  value: number;
}

/**
 * Prints `BENCH {"metric":..,"value":..,"unit":..,"floor":{"name":..,"value":..}}` on stdout, the
 * line `pnpm bench` collects. `metric` must be an id listed in tools/bench/src/metrics.ts.
 */
export declare function emit(metric: string, value: number, unit: string, floor?: BenchFloor): void;
