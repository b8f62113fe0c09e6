/**
 * Geography and round-trip times for the control-plane simulation: where Cloudflare's colos are,
 * where a Durable Object with each location hint is expected to run, and how long a round trip
 * between two points takes. Pure: no I/O beyond the bundled JSON, no clock, no randomness.
 * Every figure is sourced in `simulate/data/README.md`.
 */
import * as z from "../contracts/zod";
import coloData from "./data/colos.json" with { type: "json" };
import doLocationData from "./data/do-locations.json" with { type: "json" };

/** Cloudflare's Durable Object `locationHint` values (developers.cloudflare.com/durable-objects/reference/data-location/). */
export const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

/** A point on the Earth, in decimal degrees. */
export interface LatLon {
  lat: number;
  lon: number;
}

/**
 * Mean Earth radius R1 = 6371.0088 km of the Geodetic Reference System 1980 (Moritz, "Geodetic
 * Reference System 1980", Journal of Geodesy 74, 2000). A sphere of this radius is within about
 * 0.5% of the ellipsoidal distance, far below the spread of the route inflation.
 */
export const EARTH_RADIUS_KM = 6371.0088;

/**
 * Kilometres light covers in one millisecond in optical fibre, one way: about two thirds of c,
 * since silica fibre has a group index near 1.47 (c / 1.47 = 204 km/ms). S. Cheshire, "It's the
 * Latency, Stupid" (1996): "The speed of light in fibre is roughly 66% of the speed of light in
 * vacuum", i.e. 200 × 10^6 m/s.
 * @default 200
 */
export const FIBRE_KM_PER_MS = 200;

/**
 * How much longer the routed fibre path is than the great circle (path stretch). Calibrated as the
 * median of (RTT − FIXED_OVERHEAD_MS) / (2 × distance / FIBRE_KM_PER_MS) over the 210 pairs of AWS
 * regions in cloudping.co's p50 one-year grid of 2022-04-08 (1.71). Measurement studies report
 * similar stretch: Bozkurt et al., "Dissecting Latency in the Internet's Fiber Infrastructure"
 * (arXiv:1811.10737, 2018) give 2.1 as the rule of thumb for Internet paths ("multiply
 * line-of-sight distance by 2.1, then divide by the speed of light in fiber"); provider backbones
 * are straighter (IBM Cloud's inter-region RTTs give a median of 1.66). 1.7 × 1.47 ≈ 2.5 times the
 * vacuum speed-of-light bound.
 * @default 1.7
 */
export const ROUTE_INFLATION = 1.7;

/**
 * Round-trip time at zero distance: serialisation, switching and host stacks. The median p50 RTT
 * between two hosts in the same AWS region in the same cloudping.co grid is 2.55 ms (21 regions,
 * 1.95 to 8.21 ms).
 * @default 2.5
 */
export const FIXED_OVERHEAD_MS = 2.5;

const DEGREE = Math.PI / 180;

/**
 * Great-circle distance in kilometres between two points (haversine formula on a sphere of
 * {@link EARTH_RADIUS_KM}).
 * @example greatCircleKm({ lat: 51.47, lon: -0.46 }, { lat: 50.03, lon: 8.54 }) // ≈ 655 (LHR–FRA)
 */
export function greatCircleKm(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * DEGREE;
  const dLon = (b.lon - a.lon) * DEGREE;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * DEGREE) * Math.cos(b.lat * DEGREE) * Math.sin(dLon / 2) ** 2;
  // min() guards against rounding pushing h just above 1 for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Modelled round-trip time in milliseconds between two points: propagation there and back along
 * a fibre path {@link ROUTE_INFLATION} times the great circle, plus {@link FIXED_OVERHEAD_MS}.
 * Symmetric, and increasing with distance. It is a typical value, not a per-route truth: routes
 * that detour (Europe–Japan, South America–Asia, Africa–South America) measure up to three times
 * the model, straight submarine routes (transpacific, transatlantic) a third below it; see the
 * validation tables in `simulate/data/README.md`.
 * @example rttMs(london, frankfurt) // ≈ 13.6; IBM Cloud measured 13
 */
export function rttMs(a: LatLon, b: LatLon): number {
  return FIXED_OVERHEAD_MS + (2 * greatCircleKm(a, b) * ROUTE_INFLATION) / FIBRE_KM_PER_MS;
}

const Latitude = z.number().check(z.gte(-90, "Latitude must be at least -90."), z.lte(90, "Latitude must be at most 90."));
const Longitude = z.number().check(z.gte(-180, "Longitude must be at least -180."), z.lte(180, "Longitude must be at most 180."));
const Hint = z.enum(LOCATION_HINTS);

const ColoSchema = z.strictObject({
  iata: z.string().check(z.regex(/^[A-Z]{3}$/, "A colo code is three capital letters (IATA).")),
  city: z.string().check(z.minLength(1, "A colo needs a city name.")),
  country: z.string().check(z.regex(/^[A-Z]{2}$/, "A country is an ISO 3166-1 alpha-2 code.")),
  lat: Latitude,
  lon: Longitude,
  region: Hint,
  weight: z.number().check(z.int("A weight is a whole number."), z.gt(0, "A weight must be positive.")),
});

const DoLocationSchema = z.strictObject({
  hint: Hint,
  label: z.string(),
  city: z.string(),
  country: z.string(),
  iata: z.string(),
  lat: Latitude,
  lon: Longitude,
  spawnsInArea: z.boolean(),
  why: z.string(),
});

const DoLocationFileSchema = z.strictObject({
  note: z.string(),
  sources: z.array(z.string()),
  locations: z.array(DoLocationSchema),
});

/**
 * A Cloudflare colo (data center). `region` is the Durable Object location hint nearest to it;
 * `weight` is its rough relative traffic share (thousands of people it is the nearest colo to).
 */
export type Colo = z.infer<typeof ColoSchema>;

/** The representative city where a Durable Object with `hint` is expected to run. */
export type DoLocation = z.infer<typeof DoLocationSchema>;

let coloCache: readonly Colo[] | undefined;
let doLocationCache: readonly DoLocation[] | undefined;

/** The colo table (`simulate/data/colos.json`), validated once and then shared; sorted by IATA code. */
export function colos(): readonly Colo[] {
  coloCache ??= Object.freeze(z.array(ColoSchema).parse(coloData));
  return coloCache;
}

/** One representative location per Durable Object location hint (`simulate/data/do-locations.json`). */
export function doLocations(): readonly DoLocation[] {
  doLocationCache ??= Object.freeze(DoLocationFileSchema.parse(doLocationData).locations);
  return doLocationCache;
}
