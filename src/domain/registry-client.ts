import type { ImageReference } from './image-reference';

/** A repository in a registry, spelled as {@link ImageReference} spells it (`127.0.0.1:5000` + `ns/app`, `docker.io` + `library/alpine`). */
export type RepositoryRef = Pick<ImageReference, 'registry' | 'repository'>;

/** The OCI image manifest media type. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** The OCI image index media type (also the shape of referrers lists). */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Docker's image manifest, schema 2. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Docker's manifest list (multi-platform image). */
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** The manifest media types a registry client asks for and accepts. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST];
/** The media types that list other manifests rather than layers. */
export const INDEX_MEDIA_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];

/** An OCI content descriptor as manifests, indexes and referrers lists carry it. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  /** Embedded content, base64 (OCI 1.1), as the registry sent it. */
  data?: string;
}

/** The fields of a manifest or index that attestd reads, checked for shape. */
export interface ManifestContent {
  mediaType: string;
  artifactType?: string;
  /** Image manifests only. */
  config?: Descriptor;
  /** Image manifests: the layers; empty for an index. */
  layers: Descriptor[];
  /** Indexes: the manifests listed; empty for an image manifest. */
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A manifest as fetched: its exact bytes (what signatures cover), their digest, and the parsed content. */
export interface Manifest {
  /** `sha256:<hex>` of `bytes`. */
  digest: string;
  mediaType: string;
  bytes: Buffer;
  content: ManifestContent;
}

/**
 * Reads images and their artifacts from an OCI distribution registry. Every method throws a
 * {@link RegistryError} for what the registry did (or failed to do) and an INVALID_ARGUMENT ApiError
 * for a malformed repository, tag or digest passed in.
 */
export interface RegistryClient {
  /** The manifest digest a tag points to now (`latest` when the image names none; an image by digest returns its digest). */
  resolveTag(image: ImageReference | string): Promise<string>;
  /** The manifest or index at a tag or digest; by digest, the bytes are checked against it. */
  getManifest(repository: RepositoryRef, reference: string): Promise<Manifest>;
  /** A blob's bytes, at most `maxBytes`, checked against its digest. */
  getBlob(repository: RepositoryRef, digest: string, maxBytes: number): Promise<Buffer>;
  /** The manifests whose `subject` is `digest` (OCI 1.1 referrers API, or the `sha256-<hex>` tag schema), optionally of one artifact type. */
  referrers(repository: RepositoryRef, digest: string, artifactType?: string): Promise<Descriptor[]>;
  /** Every tag in the repository. */
  tags(repository: RepositoryRef): Promise<string[]>;
}
