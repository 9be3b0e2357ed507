/**
 * Parsed JSON (an API answer, a fixture, kubectl output) that a test walks by path and asserts on, such as
 * `reply.body.response.status.message`. Untyped on purpose: the assertion is the check, and a wrong path fails it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests' one untyped JSON type; see above
export type LooseJson = any;
