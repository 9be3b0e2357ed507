import { expect } from 'chai';
import { ApiError } from '../../src/domain/api-error';
import { RegistryError, type RegistryErrorReason } from '../../src/domain/registry-error';

function describe(thrown: unknown): string {
  return thrown === undefined ? 'success' : thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : JSON.stringify(thrown);
}

/** Awaits a promise that must reject with a RegistryError of `reason`; returns it for further checks. */
export async function expectRegistryError(
  promise: Promise<unknown>,
  reason: RegistryErrorReason,
  message?: string | RegExp,
): Promise<RegistryError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (err) {
    thrown = err;
  }
  if (!(thrown instanceof RegistryError)) {
    throw new Error(`expected a RegistryError ${reason}, got ${describe(thrown)}`);
  }
  expect(thrown.reason, thrown.message).to.equal(reason);
  if (typeof message === 'string') expect(thrown.message).to.equal(message);
  else if (message !== undefined) expect(thrown.message).to.match(message);
  return thrown;
}

/** Awaits a promise (or calls a function) that must fail with INVALID_ARGUMENT. */
export async function expectInvalidArgument(promise: Promise<unknown>, message: RegExp): Promise<void> {
  let thrown: unknown;
  try {
    await promise;
  } catch (err) {
    thrown = err;
  }
  if (!(thrown instanceof ApiError)) throw new Error(`expected INVALID_ARGUMENT, got ${describe(thrown)}`);
  expect(thrown.code).to.equal('INVALID_ARGUMENT');
  expect(thrown.message).to.match(message);
}
