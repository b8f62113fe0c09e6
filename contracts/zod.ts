/**
 * zod, as the whole codebase imports it (`import * as z from "./zod"`): `zod/mini`, the same
 * validation core with a tree-shakable API, with English error messages. The classic `zod` build
 * (and any `export { z }` of a namespace object) drags every locale into the worker bundle:
 * about 100 KB gzipped against about 10 KB.
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

config(en());

export * from "zod/mini";
