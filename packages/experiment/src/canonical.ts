export { canonicalJson, hashOf } from '@losslab/runtime';
