/** Keys a zod object schema does not declare, found by walking the raw value alongside it. */
import { z } from "zod";

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
    else return current;
  }
}

/** Paths (as strings) of keys present in `value` that `schema` does not know. */
export function findUnknownKeys(schema: z.ZodType, value: unknown, path: PropertyKey[] = []): string[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject && value !== null && typeof value === "object" && !Array.isArray(value)) {
    const shape = inner.shape as Record<string, z.ZodType>;
    const out: string[] = [];
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childSchema = shape[key];
      if (!childSchema) out.push(formatPath([...path, key]));
      else out.push(...findUnknownKeys(childSchema, child, [...path, key]));
    }
    return out;
  }
  if (inner instanceof z.ZodArray && Array.isArray(value)) {
    return value.flatMap((item, index) => findUnknownKeys(inner.element as z.ZodType, item, [...path, index]));
  }
  if (inner instanceof z.ZodUnion) {
    const options = inner.options as z.ZodType[];
    const objectOption = options.find((o) => unwrap(o) instanceof z.ZodObject);
    return objectOption ? findUnknownKeys(objectOption, value, path) : [];
  }
  return [];
}
