// Writing JSON columns with Prisma: SQL NULL needs Prisma.DbNull; undefined leaves a column unchanged.
import { Prisma } from '../../generated/prisma/client.js';

export function jsonColumn(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull | undefined {
  if (value === undefined) return undefined;
  return value === null ? Prisma.DbNull : (value as Prisma.InputJsonValue);
}

/** A plain value as a JSON column value (undefined fields dropped, as JSON would). */
export function asJson(value: unknown): Prisma.InputJsonObject {
  return JSON.parse(JSON.stringify(value ?? {})) as Prisma.InputJsonObject;
}
