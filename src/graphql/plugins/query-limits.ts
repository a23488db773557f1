// What one request may ask of the API, checked before anything runs (the spec's "api" resource limits):
//   size        a body over maxRequestBytes (10 MB) is 413 PAYLOAD_TOO_LARGE before it is read
//   depth       fields nested more than maxDepth deep (fragments followed): QUERY_TOO_DEEP
//   aliases     more than maxAliases aliased fields (the cheap way to multiply one expensive field): TOO_MANY_ALIASES
//   cost        every field costs 1, and what is under a list or connection costs that many times its page size
//               (first/last/limit, else 20 for connections and 10 for lists): over maxCost, QUERY_TOO_COSTLY
//   text        a string input (variable or literal) over 50,000 characters: BAD_USER_INPUT
//   batch       at most batchLimit operations in one HTTP request (yoga's batching option)
//   time        an operation still running after responseTimeoutMs answers TIMEOUT (HTTP 504)
//   introspection  off in production unless INTROSPECTION=true
import {
  type ASTNode,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { MAX_TEXT_LENGTH } from '../../domain/shared/validation.js';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  batchLimit: number;
  maxRequestBytes: number;
  responseTimeoutMs: number;
  introspection: boolean;
}

const CONNECTION_PAGE = 20;
const LIST_PAGE = 10;

const refuse = (code: string, message: string, nodes?: readonly ASTNode[], status = 400) =>
  new GraphQLError(message, { nodes, extensions: { code, http: { status } } });

function operationOf(document: DocumentNode, name?: string | null): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return name ? ops.find((o) => o.name?.value === name) : ops[0];
}

/** How deep the selection goes, following fragment spreads (each fragment once per path). */
export function depthOf(
  set: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen: ReadonlySet<string> = new Set(),
): number {
  let deepest = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      deepest = Math.max(deepest, 1 + (sel.selectionSet ? depthOf(sel.selectionSet, fragments, seen) : 0));
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(sel.selectionSet, fragments, seen));
    } else if (!seen.has(sel.name.value)) {
      const fragment = fragments.get(sel.name.value);
      if (fragment)
        deepest = Math.max(deepest, depthOf(fragment.selectionSet, fragments, new Set([...seen, sel.name.value])));
    }
  }
  return deepest;
}

const numberArg = (field: FieldNode, names: readonly string[], variables: Record<string, unknown>) => {
  for (const arg of field.arguments ?? []) {
    if (!names.includes(arg.name.value)) continue;
    const v = arg.value;
    if (v.kind === Kind.INT) return Number(v.value);
    if (v.kind === Kind.VARIABLE) {
      const given = variables[v.name.value];
      if (typeof given === 'number') return given;
    }
  }
  return undefined;
};

/**
 * The longest list an argument of the field carries (nodes(ids: […]) returns one item per id), literal or variable.
 * Without it, a list field's size is a guess (LIST_PAGE), and nodes(ids:) with 20,000 ids cost as much as 10.
 */
const listArgLength = (field: FieldNode, variables: Record<string, unknown>): number | undefined => {
  let longest: number | undefined;
  for (const arg of field.arguments ?? []) {
    const v = arg.value;
    const n =
      v.kind === Kind.LIST
        ? v.values.length
        : v.kind === Kind.VARIABLE && Array.isArray(variables[v.name.value])
          ? (variables[v.name.value] as unknown[]).length
          : undefined;
    if (n !== undefined) longest = Math.max(longest ?? 0, n);
  }
  return longest;
};

/** The cost of an operation: 1 per field, times the page size of every list or connection above it. */
export function costOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  const typeInfo = new TypeInfo(schema);
  const multipliers: number[] = [1];
  let cost = 0;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  // Fragments are inlined (so their fields are costed where they are spread); a fragment cycle is already invalid.
  const inline = (set: SelectionSetNode, seen: Set<string>): SelectionSetNode => ({
    ...set,
    selections: set.selections.flatMap((sel) => {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(sel.name.value);
        if (!f || seen.has(f.name.value)) return [];
        return [
          {
            kind: Kind.INLINE_FRAGMENT,
            typeCondition: f.typeCondition,
            selectionSet: inline(f.selectionSet, new Set([...seen, f.name.value])),
          },
        ];
      }
      if (sel.selectionSet) return [{ ...sel, selectionSet: inline(sel.selectionSet, seen) }];
      return [sel];
    }),
  });
  const flat: OperationDefinitionNode = { ...operation, selectionSet: inline(operation.selectionSet, new Set()) };
  visit(
    flat,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(field) {
          const here = multipliers[multipliers.length - 1] ?? 1;
          cost += here;
          // A connection's edges (or nodes) are its page, already counted by the connection's own size.
          const parent = typeInfo.getParentType();
          if (parent?.name.endsWith('Connection') && (field.name.value === 'edges' || field.name.value === 'nodes')) {
            multipliers.push(here);
            return;
          }
          const type = typeInfo.getType();
          const nullable = type ? getNullableType(type) : null;
          const named = type ? getNamedType(type) : null;
          const connection = !!named && isObjectType(named) && named.name.endsWith('Connection');
          const list = !!nullable && isListType(nullable);
          const page = numberArg(field, ['first', 'last', 'limit'], variables);
          const size = connection
            ? (page ?? CONNECTION_PAGE)
            : list
              ? (page ?? listArgLength(field, variables) ?? LIST_PAGE)
              : 1;
          multipliers.push(here * Math.max(1, size));
        },
        leave() {
          multipliers.pop();
        },
      },
    }),
  );
  return cost;
}

function aliasesOf(document: DocumentNode): FieldNode[] {
  const found: FieldNode[] = [];
  visit(document, { Field: (f) => void (f.alias ? found.push(f) : undefined) });
  return found;
}

/** The first string input over MAX_TEXT_LENGTH: its path in the variables, or the literal's node. */
function overlongInput(document: DocumentNode, variables: Record<string, unknown>) {
  let literal: ASTNode | undefined;
  visit(document, {
    StringValue(node) {
      if (!literal && node.value.length > MAX_TEXT_LENGTH) literal = node;
    },
  });
  if (literal) return { path: null, node: literal };
  const walk = (v: unknown, path: (string | number)[]): (string | number)[] | null => {
    if (typeof v === 'string') return v.length > MAX_TEXT_LENGTH ? path : null;
    if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) {
        const found = walk(x, [...path, i]);
        if (found) return found;
      }
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const found = walk(x, [...path, k]);
        if (found) return found;
      }
    }
    return null;
  };
  const path = walk(variables, []);
  return path ? { path, node: undefined } : null;
}

/** The reasons to refuse an operation before it runs, or null. */
export function checkOperation(
  limits: QueryLimits,
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): GraphQLError | null {
  const operation = operationOf(document, operationName);
  if (!operation) return null;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const depth = depthOf(operation.selectionSet, fragments);
  if (depth > limits.maxDepth) {
    return refuse('QUERY_TOO_DEEP', `The query is ${depth} fields deep; at most ${limits.maxDepth} are allowed.`, [
      operation,
    ]);
  }
  const aliases = aliasesOf(document);
  if (aliases.length > limits.maxAliases) {
    return refuse(
      'TOO_MANY_ALIASES',
      `The document has ${aliases.length} aliased fields; at most ${limits.maxAliases} are allowed.`,
      aliases.slice(limits.maxAliases, limits.maxAliases + 1),
    );
  }
  const cost = costOf(schema, document, operation, variables);
  if (cost > limits.maxCost) {
    return refuse(
      'QUERY_TOO_COSTLY',
      `The query would cost ${cost} (every field 1, times the page size of each list above it); at most ${limits.maxCost}. Ask for smaller pages.`,
      [operation],
    );
  }
  const long = overlongInput(document, variables);
  if (long) {
    const where = long.path ? long.path.join('.') : 'a string in the document';
    // Worded like the core's validation errors (they name the same fields).
    return new GraphQLError(`Invalid input — ${where}: must be at most ${MAX_TEXT_LENGTH} characters`, {
      nodes: long.node ? [long.node] : undefined,
      extensions: {
        code: 'BAD_USER_INPUT',
        ...(long.path
          ? {
              issues: [{ path: long.path, message: `must be at most ${MAX_TEXT_LENGTH} characters` }],
            }
          : {}),
      },
    });
  }
  return null;
}

const timeoutResult = (ms: number): ExecutionResult => ({
  errors: [refuse('TIMEOUT', `The operation did not finish within ${ms} ms.`, undefined, 504)],
});

export function queryLimitsPlugin(limits: QueryLimits): Plugin {
  return {
    onRequest({ request, endResponse }) {
      const length = Number(request.headers.get('content-length') ?? 0);
      if (length > limits.maxRequestBytes) {
        endResponse(
          Response.json(
            {
              errors: [
                {
                  message: `The request body is ${length} bytes; at most ${limits.maxRequestBytes} are accepted.`,
                  extensions: { code: 'PAYLOAD_TOO_LARGE' },
                },
              ],
            },
            { status: 413 },
          ),
        );
      }
    },
    onValidate({ addValidationRule }) {
      if (!limits.introspection) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
    onExecute({ args, setResultAndStopExecution, executeFn, setExecuteFn }) {
      const refused = checkOperation(
        limits,
        args.schema,
        args.document,
        args.operationName,
        (args.variableValues ?? {}) as Record<string, unknown>,
      );
      if (refused) {
        setResultAndStopExecution({ errors: [refused] });
        return;
      }
      setExecuteFn(async (executeArgs) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<ExecutionResult>((resolve) => {
          timer = setTimeout(() => resolve(timeoutResult(limits.responseTimeoutMs)), limits.responseTimeoutMs);
        });
        try {
          return await Promise.race([executeFn(executeArgs) as Promise<ExecutionResult>, timeout]);
        } finally {
          clearTimeout(timer);
        }
      });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = checkOperation(
        limits,
        args.schema,
        args.document,
        args.operationName,
        (args.variableValues ?? {}) as Record<string, unknown>,
      );
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
  };
}
