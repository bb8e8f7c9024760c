export type { ArtifactStore, Body, ObjectInfo, StoredObject } from './artifact-store';
export { S3ArtifactStore, minioClient, sha256 } from './s3-artifact-store';
export { artifactKey, keys } from './keys';
