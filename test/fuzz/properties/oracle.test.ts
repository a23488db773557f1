// The fuzzer's own oracle (test/fuzz/lib/oracle.ts) is not vacuous: it reports the leaks, uncoded errors and
// rejections it is meant to, and passes what the permission matrix allows.
import { describe, expect, it } from 'vitest';
import { errorProblems, isRejected, leaks, rootKeysOf, type Scope } from '../lib/oracle.js';

const scope: Scope = {
  agents: new Set(['agentA']),
  personas: new Set(['personaA']),
  otherAgentsRows: new Set(['agentB', 'taskB']),
  sensitiveContent: new Set(['contentS']),
};

describe('fuzz oracle', () => {
  it('reports objects whose type the matrix denies to the caller, by any path, and only with a field shown', () => {
    const data = { a: { edges: [{ node: { __typename: 'Task', id: 'taskA', status: 'PENDING' } }] } };
    expect(leaks(data, 'cfo', scope)).toHaveLength(1);
    expect(leaks(data, 'anonymous', scope)).toHaveLength(1);
    expect(leaks(data, 'super_admin', scope)).toEqual([]);
    expect(leaks({ x: { __typename: 'Task', id: null } }, 'cfo', scope)).toEqual([]);
    expect(leaks({ x: [{ __typename: 'SecurityAlert', message: 'm' }] }, 'cfo', scope)).toHaveLength(1);
    expect(leaks({ x: { __typename: 'Trend', topic: 't' } }, 'analyst', scope)).toEqual([]);
  });

  it('reports rows of other agents, unassigned agents and personas, and sensitive content to scoped callers', () => {
    expect(leaks({ x: { __typename: 'Agent', id: 'agentA' } }, 'agent_operator', scope)).toEqual([]);
    expect(leaks({ x: { __typename: 'Agent', id: 'agentB' } }, 'agent_operator', scope).length).toBeGreaterThan(0);
    expect(leaks({ x: { __typename: 'Agent', id: 'agentNew' } }, 'api_user', scope)).toHaveLength(1);
    expect(leaks({ x: { __typename: 'Task', id: 'taskB' } }, 'api_user', scope)).toHaveLength(1);
    expect(leaks({ x: { __typename: 'Persona', id: 'personaX' } }, 'agent_operator', scope)).toHaveLength(1);
    expect(leaks({ x: { __typename: 'Content', id: 'contentS' } }, 'api_user', scope)).toHaveLength(1);
    expect(leaks({ x: { __typename: 'Content', id: 'contentS' } }, 'agent_operator', scope)).toEqual([]);
  });

  it('reports errors without a string code or a message', () => {
    expect(errorProblems({ errors: [{ message: 'm', extensions: { code: 'X' } }] })).toEqual([]);
    expect(errorProblems({ errors: [{ message: 'm' }] })).toHaveLength(1);
    expect(errorProblems({ errors: [{ message: 'm', extensions: { code: 5 } }] })).toHaveLength(1);
    expect(errorProblems({ errors: [{ extensions: { code: 'X' } }] })).toHaveLength(1);
  });

  it('counts a document as rejected only when the request or every root field failed', () => {
    const keys = rootKeysOf(JSON.stringify({ query: 'mutation { a: createPersona(input: {}) { id } b: logout }' }));
    expect(keys).toEqual(['a', 'b']);
    expect(isRejected({ data: null, errors: [{ message: 'x', path: ['b'] }] }, keys)).toBe(false);
    expect(
      isRejected(
        {
          data: null,
          errors: [
            { message: 'x', path: ['a'] },
            { message: 'y', path: ['b'] },
          ],
        },
        keys,
      ),
    ).toBe(true);
    expect(isRejected({ errors: [{ message: 'too deep' }] }, keys)).toBe(true);
    // An error inside a's payload: a ran (and committed) before its selection failed.
    expect(
      isRejected(
        {
          data: null,
          errors: [
            { message: 'x', path: ['a', 'memories'] },
            { message: 'y', path: ['b'] },
          ],
        },
        keys,
      ),
    ).toBe(false);
    expect(isRejected({ data: { a: { id: '1' } } }, keys)).toBe(false);
    expect(rootKeysOf('not json')).toBeNull();
  });
});
