import * as z from "./zod";

/** A share of users: 0-100 in steps of 0.01. */
export const Percent = z.number().check(
  z.gte(0, "must be between 0 and 100"),
  z.lte(100, "must be between 0 and 100"),
  z.refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-7, "must be a multiple of 0.01"),
);
