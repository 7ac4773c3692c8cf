/** The XDS registry and repository of one sandbox (document entries, submission sets, associations). */
import type { World } from '../../../fixtures/index.js';
import type { BlobStore } from '../../core/store/blob-store.js';
import type { DmpEvent } from '../store.js';

export class Registry {
  constructor(
    readonly world: World,
    readonly blobs: BlobStore,
  ) {}

  apply(_event: DmpEvent): void {}

  reset(): void {}
}
