import type { JsonObject } from './message-types';
import type { HookEventRow, SigningState } from './stores/hook-store';

/** A hookEvents item (attestd.v1.HookEvent in proto3 JSON). */
export function hookEventView(row: HookEventRow, signing: SigningState | undefined): JsonObject {
  const imported = signing?.kind === 'IMPORT';
  const rule = (collection: string): string => (row.ruleId ? `projects/${row.projectId}/${collection}/${row.ruleId}` : '');
  const occurrences = (signing?.occurrence ?? '').split(' ').filter((o) => o !== '');
  const view: JsonObject = {
    name: `projects/${row.projectId}/hookEvents/${row.hookEventId}`,
    source: row.source,
    eventId: row.eventId,
    action: row.action,
    mediaType: row.mediaType,
    image: row.image,
    tag: row.tag,
    signingRule: imported ? '' : rule('signingRules'),
    importRule: imported ? rule('importRules') : '',
    witness: row.witnessId ? `projects/${row.projectId}/witnesses/${row.witnessId}` : '',
    status: signing ? signing.status : 'IGNORED',
    reason: row.reason || signing?.reason || '',
    attempts: signing?.attempts ?? 0,
    occurrence: occurrences[0] ?? '',
    occurrences,
    receiveTime: row.receiveTime,
    updateTime: signing?.updateTime ?? row.receiveTime,
  };
  return view;
}
