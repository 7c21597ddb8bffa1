// A small validator for the JSON-schema subset used by the Management API's OpenAPI document: enough to reject
// what the real API rejects (unknown or missing fields, wrong types, enums, patterns, lengths, ranges).

export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
}

/** Problems found in `value`, each prefixed with its location (`body.metadata.entrypoint_path`); empty when valid. */
export function checkAgainstSchema(value: unknown, schema: Schema, at: string): string[] {
  if (value === null) return schema.nullable || schema.type === undefined ? [] : [`${at} must not be null`];
  if (schema.allOf) return schema.allOf.flatMap((part) => checkAgainstSchema(value, part, at));
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) {
    const results = alternatives.map((alternative) => checkAgainstSchema(value, alternative, at));
    return results.some((problems) => problems.length === 0) ? [] : [`${at} matches none of the allowed shapes: ${results.flat().join("; ")}`];
  }
  if (schema.enum && !schema.enum.includes(value)) return [`${at} must be one of ${schema.enum.map(String).join(", ")}`];

  switch (schema.type) {
    case "string":
      return checkString(value, schema, at);
    case "integer":
    case "number":
      if (typeof value !== "number" || (schema.type === "integer" && !Number.isInteger(value))) return [`${at} must be an ${schema.type}`];
      if (schema.minimum !== undefined && value < schema.minimum) return [`${at} must not be less than ${schema.minimum}`];
      if (schema.maximum !== undefined && value > schema.maximum) return [`${at} must not be greater than ${schema.maximum}`];
      return [];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${at} must be a boolean`];
    case "array":
      if (!Array.isArray(value)) return [`${at} must be an array`];
      return schema.items ? value.flatMap((item, index) => checkAgainstSchema(item, schema.items as Schema, `${at}[${index}]`)) : [];
    case "object":
      return checkObject(value, schema, at);
    default:
      return schema.properties ? checkObject(value, schema, at) : [];
  }
}

function checkString(value: unknown, schema: Schema, at: string): string[] {
  if (typeof value !== "string") return [`${at} must be a string`];
  if (schema.minLength !== undefined && value.length < schema.minLength) return [`${at} must be at least ${schema.minLength} characters`];
  if (schema.maxLength !== undefined && value.length > schema.maxLength) return [`${at} must be at most ${schema.maxLength} characters`];
  if (schema.pattern && !new RegExp(schema.pattern).test(value)) return [`${at} must match ${schema.pattern}`];
  return [];
}

function checkObject(value: unknown, schema: Schema, at: string): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${at} must be an object`];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of schema.required ?? []) {
    if (record[name] === undefined) problems.push(`${at}.${name} is required`);
  }
  const properties = schema.properties ?? {};
  for (const [name, item] of Object.entries(record)) {
    const property = properties[name];
    if (property) problems.push(...checkAgainstSchema(item, property, `${at}.${name}`));
    else if (typeof schema.additionalProperties === "object") problems.push(...checkAgainstSchema(item, schema.additionalProperties, `${at}.${name}`));
    // The API whitelists DTO fields: anything it does not know is refused, not ignored.
    else problems.push(`property ${at}.${name} should not exist`);
  }
  return problems;
}

/**
 * The least a documented object can be: every required property present, null where it may be, otherwise the first
 * enum value, the minimum, false, "", [] or the same for a nested object. A fake starts its records from this, so that
 * its answers carry every field the real API's do.
 */
export function minimalValue(schema: Schema): unknown {
  if (schema.nullable) return null;
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((part) => minimalValue(part) as object));
  const alternative = (schema.oneOf ?? schema.anyOf)?.[0];
  if (alternative) return minimalValue(alternative);
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case "string":
      return "";
    case "integer":
    case "number":
      return schema.minimum ?? 0;
    case "boolean":
      return false;
    case "array":
      return [];
    default: {
      const properties = schema.properties ?? {};
      return Object.fromEntries((schema.required ?? []).map((name) => [name, minimalValue(properties[name] ?? {})]));
    }
  }
}
