// `tortie-bgp --help-config`: every field of the configuration with its
// type, default and meaning, read from the zod schema's `.describe()` texts.
// Pure.
import type { z } from "zod";

interface Def {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
  options?: z.core.$ZodType[];
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  defaultValue?: unknown;
  values?: unknown[];
  entries?: Record<string, unknown>;
}

const def = (t: z.core.$ZodType) => t._zod.def as unknown as Def;

/** A short name of a schema's type ("number", "string | false", "list"…). */
function typeName(t: z.core.$ZodType): string {
  const d = def(t);
  switch (d.type) {
    case "optional":
    case "default":
    case "nullable":
      return typeName(d.innerType!);
    case "pipe":
      return typeName(d.in!);
    case "union":
      return [...new Set(d.options!.map(typeName))].join(" | ");
    case "literal":
      return (d.values ?? []).map((v) => JSON.stringify(v)).join(" | ");
    case "enum":
      return Object.values(d.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(" | ");
    case "array":
      return `list of ${typeName(d.element!)}`;
    case "tuple":
      return "[number, number]";
    default:
      return d.type;
  }
}

function defaultOf(t: z.core.$ZodType): unknown {
  const d = def(t);
  if (d.type === "default") {
    const v = d.defaultValue;
    return typeof v === "function" ? (v as () => unknown)() : v;
  }
  if (d.type === "optional" || d.type === "nullable") return defaultOf(d.innerType!);
  return undefined;
}

/** The objects reachable from `t` (through optional, default, union, array, pipe). */
function objectsIn(t: z.core.$ZodType, suffix = ""): { schema: z.core.$ZodType; suffix: string }[] {
  const d = def(t);
  if (d.type === "object") return [{ schema: t, suffix }];
  if (d.type === "array") return objectsIn(d.element!, `${suffix}[]`);
  if (d.type === "union") return d.options!.flatMap((o) => objectsIn(o, suffix));
  if (d.innerType) return objectsIn(d.innerType, suffix);
  if (d.type === "pipe") return objectsIn(d.in!, suffix);
  return [];
}

/** One line per field: `path  type  (default …)  description`. */
export function describeConfig(schema: z.core.$ZodType, prefix = ""): string[] {
  const lines: string[] = [];
  for (const { schema: o, suffix } of objectsIn(schema)) {
    for (const [key, field] of Object.entries(def(o).shape ?? {})) {
      const path = `${prefix}${suffix}${prefix || suffix ? "." : ""}${key}`;
      const dflt = defaultOf(field);
      const text = (field as { description?: string }).description ?? "";
      lines.push(
        `${path}  <${typeName(field)}>${dflt === undefined ? "" : `  (default ${JSON.stringify(dflt)})`}  ${text}`,
      );
      lines.push(...describeConfig(field, path));
    }
  }
  return lines;
}
