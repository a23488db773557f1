// Writing JSON columns with Prisma: SQL NULL needs Prisma.DbNull; undefined leaves a column unchanged.
import { Prisma } from '../../generated/prisma/client.js';

export function jsonColumn(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull | undefined {
  if (value === undefined) return undefined;
  return value === null ? Prisma.DbNull : (value as Prisma.InputJsonValue);
}
