import { notFound } from '../api-error';
import type { Stores } from './unit-of-work';

/** Throws NOT_FOUND naming the project unless it exists; holds a key-share lock on it until commit. */
export async function requireProject(stores: Stores, projectId: string): Promise<void> {
  if (!(await stores.projects.lockShared(projectId))) throw projectNotFound(projectId);
}

/** The NOT_FOUND a write into a project that does not exist gets. */
export function projectNotFound(projectId: string): Error {
  return notFound(`project projects/${projectId} does not exist; create it first with POST /v1/projects`);
}
