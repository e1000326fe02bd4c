import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export interface OpenApiDocument {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any>; securitySchemes?: Record<string, any> };
}

export interface Operation {
  method: string;
  path: string;
  op: any;
}

export interface LiveAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

const ROOT_ID = 'openapi';

/**
 * OpenAPI 3.0 schema → JSON Schema for Ajv: `nullable` becomes a union with null, refs point into
 * the document registered under ROOT_ID, and an object lists every property it may carry: an
 * answer with a field the document does not declare fails, as a missing one does.
 */
function toJsonSchema(s: any): any {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (s === null || typeof s !== 'object') return s;
  const out: any = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === 'nullable' || key === 'example' || key === 'examples') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toJsonSchema(v)]));
    } else if (key === '$ref') {
      out.$ref = (value as string).replace(/^#\//, `${ROOT_ID}#/`);
    } else if (['items', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf'].includes(key)) {
      out[key] = toJsonSchema(value);
    } else {
      out[key] = value;
    }
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return s.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Checks live answers against the document they are described by, route by route. */
export class OpenApiValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly operations = new Map<string, Operation>();
  /** operationId → statuses met, for the coverage check. */
  readonly seen = new Map<string, Set<number>>();

  constructor(readonly doc: OpenApiDocument) {
    // strict: false, because OpenAPI schemas carry keywords JSON Schema does not know (example…).
    this.ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(this.ajv);
    const schemas = Object.fromEntries(Object.entries(doc.components.schemas).map(([k, s]) => [k, toJsonSchema(s)]));
    this.ajv.addSchema({ components: { schemas } }, ROOT_ID);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        this.operations.set(op.operationId as string, { method: method.toUpperCase(), path, op });
      }
    }
  }

  private validator(key: string, schema: any): ValidateFunction {
    let v = this.compiled.get(key);
    if (!v) {
      v = this.ajv.compile(toJsonSchema(schema));
      this.compiled.set(key, v);
    }
    return v;
  }

  /** Problems of one value against a schema of the document (for JSONL lines, say). */
  problemsOf(schema: any, value: unknown, key = JSON.stringify(schema)): string[] {
    const v = this.validator(key, schema);
    return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}`.trim());
  }

  /** Every way the answer differs from what the document says this route answers with that status. */
  problems(operationId: string, answer: LiveAnswer): string[] {
    const found = this.operations.get(operationId);
    if (!found) return [`no operation ${operationId} in the document`];
    (this.seen.get(operationId) ?? this.seen.set(operationId, new Set()).get(operationId)!).add(answer.status);
    const response = found.op.responses[String(answer.status)];
    if (!response) return [`status ${answer.status} is not declared`];
    const problems: string[] = [];
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, any>)) {
      const value = answer.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`header ${name} is missing`);
      } else if (header.schema?.type === 'integer' && !/^\d+$/.test(value)) {
        problems.push(`header ${name} is not an integer: ${value}`);
      }
    }
    const content = response.content as Record<string, { schema: any }> | undefined;
    if (!content) {
      if (answer.body !== undefined) problems.push('a body where none is declared');
      return problems;
    }
    const type = mediaType(answer.headers.get('content-type'));
    const declared = content[type];
    if (!declared)
      return [...problems, `content-type ${type || '(none)'} is not one of ${Object.keys(content).join(', ')}`];
    if (type !== 'application/json') return problems;
    const key = `${operationId} ${answer.status}`;
    return [...problems, ...this.problemsOf(declared.schema, answer.body, key)];
  }
}
