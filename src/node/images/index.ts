// The on-disk image store that the process runtime runs containers from.
export { ImageStore, shortImageId, type Image, type ImageSummary } from './store.js';
export { IMAGE_CONFIG_FILE, type ImageConfig } from './config.js';
export type { TreeEntry } from './tree.js';
