import { ApiError, type ErrorCode } from '../../src/domain/api-error';

/** What a call ended with: OK, or the code of the ApiError it threw (anything else is rethrown: a bug). */
export async function outcome(call: Promise<unknown>): Promise<'OK' | ErrorCode> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
}

/** The ApiError a call threw (fails when it succeeds or throws something else). */
export async function apiError(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError, the call succeeded');
}
