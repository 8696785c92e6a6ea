export { freePort, requireEtcd, startEtcdCluster } from './etcd-cluster.js';
export type { EtcdCluster, EtcdMember } from './etcd-cluster.js';
