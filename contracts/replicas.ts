/**
 * The regional read tier's layout, shared by the primary (which pushes to every replica) and the
 * isolates (which read the nearest): which replicas exist, what they are named, and which is
 * nearest to a point. No I/O.
 */

/** Cloudflare's Durable Object location hints (developers.cloudflare.com/durable-objects/reference/data-location). */
export const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

/**
 * Where an object created with each hint is expected to run (one representative city; Cloudflare
 * publishes no data-center list: see simulate/data/do-locations.json for the measurements behind
 * these, and note that sam, afr and me objects spawn in a nearby supported area).
 */
export const HINT_LOCATIONS: Record<LocationHint, { lat: number; lon: number }> = {
  wnam: { lat: 37.36, lon: -121.93 }, // San Jose
  enam: { lat: 38.94, lon: -77.46 }, // Ashburn
  sam: { lat: 38.94, lon: -77.46 }, // spawns in Eastern North America
  weur: { lat: 49.01, lon: 2.55 }, // Paris
  eeur: { lat: 48.11, lon: 16.57 }, // Vienna
  apac: { lat: 1.35, lon: 103.99 }, // Singapore
  oc: { lat: -33.95, lon: 151.18 }, // Sydney
  afr: { lat: 52.31, lon: 4.76 }, // spawns in Europe (Amsterdam)
  me: { lat: 48.11, lon: 16.57 }, // spawns in Europe (Vienna)
};

export interface ReplicaRef {
  /** The Durable Object name, e.g. `weur-0`. */
  name: string;
  region: LocationHint;
}

/** Every replica: `perRegion` shards in each region, in a stable order. */
export function replicaSet(regions: readonly LocationHint[], perRegion: number): ReplicaRef[] {
  return regions.flatMap((region) => Array.from({ length: perRegion }, (_, shard) => ({ name: `${region}-${shard}`, region })));
}

function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The replicas in the order an isolate at `at` should try them: its nearest region first, and in
 * each region the shard `shardSeed` picks first (spreading a region's isolates over its shards).
 */
export function nearestFirst(replicas: readonly ReplicaRef[], at: { lat: number; lon: number } | undefined, shardSeed: number): ReplicaRef[] {
  const byRegion = new Map<LocationHint, ReplicaRef[]>();
  for (const r of replicas) byRegion.set(r.region, [...(byRegion.get(r.region) ?? []), r]);
  const regions = [...byRegion.keys()].sort((a, b) => (at ? distanceKm(at, HINT_LOCATIONS[a]) - distanceKm(at, HINT_LOCATIONS[b]) : 0));
  return regions.flatMap((region) => {
    const shards = byRegion.get(region)!;
    const first = Math.abs(shardSeed) % shards.length;
    return [...shards.slice(first), ...shards.slice(0, first)];
  });
}
