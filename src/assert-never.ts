/**
 * The end of a switch over a closed set (a use case's result reasons): a new
 * member of the set fails to compile until every switch handles it, and
 * reaching it at run time is a bug, not a refusal to show.
 */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
