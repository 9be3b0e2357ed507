import type { JsonObject } from '../domain/message-types';
import { listQuery, maskPaths } from '../domain/list-query';
import type { NoteService } from '../grafeas/note-service';
import type { OccurrenceService } from '../grafeas/occurrence-service';
import { obj, str } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** The 14 grafeas.v1.Grafeas RPCs over the note and occurrence services. */
export function grafeasHandlers(notes: NoteService, occurrences: OccurrenceService): ServiceHandlers {
  return {
    service: 'grafeas.v1.Grafeas',
    methods: {
      GetOccurrence: (ctx, r) => occurrences.get(ctx, str(r.name)),
      ListOccurrences: async (ctx, r) => {
        const page = await occurrences.list(ctx, str(r.parent), listQuery(r));
        return { occurrences: page.items, nextPageToken: page.nextPageToken };
      },
      DeleteOccurrence: async (ctx, r) => {
        await occurrences.delete(ctx, str(r.name));
        return {};
      },
      CreateOccurrence: (ctx, r) => occurrences.create(ctx, str(r.parent), obj(r.occurrence)),
      BatchCreateOccurrences: async (ctx, r) => ({
        occurrences: await occurrences.batchCreate(ctx, str(r.parent), Array.isArray(r.occurrences) ? r.occurrences.map(obj) : []),
      }),
      UpdateOccurrence: (ctx, r) => occurrences.update(ctx, str(r.name), obj(r.occurrence), maskPaths(r.updateMask)),
      GetOccurrenceNote: (ctx, r) => occurrences.getNote(ctx, str(r.name)),
      GetNote: (ctx, r) => notes.get(ctx, str(r.name)),
      ListNotes: async (ctx, r) => {
        const page = await notes.list(ctx, str(r.parent), listQuery(r));
        return { notes: page.items, nextPageToken: page.nextPageToken };
      },
      DeleteNote: async (ctx, r) => {
        await notes.delete(ctx, str(r.name));
        return {};
      },
      CreateNote: (ctx, r) => notes.create(ctx, str(r.parent), str(r.noteId), obj(r.note)),
      BatchCreateNotes: async (ctx, r) => ({
        notes: await notes.batchCreate(ctx, str(r.parent), obj(r.notes) as Record<string, JsonObject>),
      }),
      UpdateNote: (ctx, r) => notes.update(ctx, str(r.name), obj(r.note), maskPaths(r.updateMask)),
      ListNoteOccurrences: async (ctx, r) => {
        const page = await occurrences.listForNote(ctx, str(r.name), listQuery(r));
        return { occurrences: page.items, nextPageToken: page.nextPageToken };
      },
    },
  };
}
