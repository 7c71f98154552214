// Object schemas the way Tortie reads users' YAML:
// - every field Calico accepts is known; a key that is not one of them is an
//   error naming it and the closest valid name ("did you mean …");
// - a field Calico accepts but Tortie does not act on is declared with
//   `unused(…)`: it is validated loosely, kept in the output as written, and
//   reported by `findUnused` — never a reason to refuse the file.
import { z } from "zod";
import { closest } from "./suggest.js";

/** Field schemas declared with {@link unused}. */
const UNUSED = new WeakSet<z.ZodType>();

/** Marks a field schema as accepted but not acted on by Tortie (default: any value). */
export function unused<T extends z.ZodType = z.ZodUnknown>(schema?: T): T {
  const s = (schema ?? z.unknown()) as T;
  UNUSED.add(s);
  return s;
}

/** The message for keys that are not fields of an object with `known` fields. */
export function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  return keys
    .map((k) => {
      const c = closest(k, known);
      return c ? `unknown field "${k}" (did you mean "${c}"?)` : `unknown field "${k}"`;
    })
    .join("; ");
}

/**
 * A strict object: unknown keys fail with the closest valid name. Fields in
 * `unusedShape` are accepted and kept, and reported as unused.
 */
export function obj<
  S extends z.core.$ZodLooseShape,
  U extends z.core.$ZodLooseShape = Record<never, never>,
>(shape: S, unusedShape?: U) {
  const u: Record<string, z.ZodType> = {};
  for (const [k, v] of Object.entries(unusedShape ?? {})) u[k] = unused(v as z.ZodType);
  const full = { ...shape, ...u } as S & U;
  const known = Object.keys(full);
  return z.strictObject(full, {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? unknownKeysMessage(iss.keys, known) : undefined,
  });
}

/** A field the user wrote that Tortie keeps but does not act on. */
export interface UnusedField {
  /** Field path inside the resource, e.g. `spec.natOutgoing`. */
  readonly path: string;
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  getter?: () => z.ZodType;
};

const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

function join(path: string, k: string | number): string {
  return typeof k === "number" ? `${path}[${k}]` : path ? `${path}.${k}` : k;
}

/**
 * Walks `value` (the input as written) along `schema` and returns the paths
 * of fields declared {@link unused} that the input sets.
 */
export function findUnused(schema: z.ZodType, value: unknown, path = ""): string[] {
  const out: string[] = [];
  walk(schema, value, path, out, 0);
  return out;
}

function walk(schema: z.ZodType, value: unknown, path: string, out: string[], depth: number) {
  if (value === undefined || value === null || depth > 64) return;
  const d = defOf(schema);
  switch (d.type) {
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) return;
      for (const [k, v] of Object.entries(value)) {
        if (!Object.hasOwn(d.shape!, k)) continue;
        const f = d.shape![k]!;
        if (UNUSED.has(f)) out.push(join(path, k));
        else walk(f, v, join(path, k), out, depth + 1);
      }
      return;
    }
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "nonoptional":
      return walk(d.innerType!, value, path, out, depth + 1);
    case "pipe":
      return walk(d.in!, value, path, out, depth + 1);
    case "lazy":
      return walk(d.getter!(), value, path, out, depth + 1);
    case "array":
      if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) walk(d.element!, v, join(path, i), out, depth + 1);
      }
      return;
    case "record":
      if (typeof value === "object" && !Array.isArray(value))
        for (const [k, v] of Object.entries(value))
          walk(d.valueType!, v, join(path, k), out, depth + 1);
      return;
    default:
      return;
  }
}
