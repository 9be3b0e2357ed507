import type { ResourceCollection, ResourceKind } from './resource-kind';

/** The names a kind takes from its proto. */
export type ProtoNames = Pick<ResourceKind<unknown>, 'messageType' | 'service' | 'methods' | 'field' | 'plural'>;

/**
 * The proto names of a kind that follows the resource-oriented conventions (AIP-121, 131-135): message
 * `attestd.v1.<Message>`, service `attestd.v1.<Plural>` with Create/Get/Update/Delete<Message> and List<Plural>,
 * the resource in the request field `<message>`, its collection `<plural>`. E.g. protoNames('SigningRule', 'signingRules').
 */
export function protoNames(message: string, plural: ResourceCollection): ProtoNames {
  const Plural = plural.charAt(0).toUpperCase() + plural.slice(1);
  return {
    messageType: `attestd.v1.${message}`,
    service: `attestd.v1.${Plural}`,
    methods: {
      create: `Create${message}`,
      get: `Get${message}`,
      list: `List${Plural}`,
      update: `Update${message}`,
      delete: `Delete${message}`,
    },
    field: message.charAt(0).toLowerCase() + message.slice(1),
    plural,
  };
}
