// Global IDs: base64("Type:uuid") as Relay expects. Every Chimera id is a UUID, so a well-formed global ID that
// does not carry one is rejected as bad input rather than reaching the database.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function badId(globalID: string, reason: string): GraphQLError {
  return new GraphQLError(`"${globalID}" is not a valid ID: ${reason}.`, {
    extensions: { code: 'BAD_USER_INPUT', id: globalID },
  });
}

export function decodeId(globalID: string): { typename: string; id: string } {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalID);
  } catch {
    throw badId(globalID, 'it is not a global ID returned by this API');
  }
  if (!UUID.test(decoded.id)) throw badId(globalID, 'it does not name a Chimera object');
  return decoded;
}

/** The database id behind a global ID, after checking that it names an object of the expected type. */
export function idOf(globalId: { typename: string; id: string }, expected: string): string {
  if (globalId.typename !== expected) {
    throw new GraphQLError(`Expected the ID of a ${expected}, got the ID of a ${globalId.typename}.`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return globalId.id;
}

/** idOf for optional inputs: keeps undefined (left out) and null (cleared) apart. */
export function optionalIdOf(
  globalId: { typename: string; id: string } | null | undefined,
  expected: string,
): string | null | undefined {
  return globalId == null ? globalId : idOf(globalId, expected);
}
