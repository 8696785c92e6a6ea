import { PluginRegistry, type PluginConfig, type Profile } from '../framework/framework.js';
import * as binder from './default-binder.js';
import * as preemption from './default-preemption.js';
import * as imageLocality from './image-locality.js';
import * as interPod from './inter-pod-affinity.js';
import * as nodeAffinity from './node-affinity.js';
import * as nodeName from './node-name.js';
import * as nodePorts from './node-ports.js';
import * as fit from './node-resources-fit.js';
import * as nodeUnschedulable from './node-unschedulable.js';
import * as spread from './pod-topology-spread.js';
import * as prioritySort from './priority-sort.js';
import * as gates from './scheduling-gates.js';
import * as taints from './taint-toleration.js';

/** A registry holding every in-tree plugin; third parties add theirs to the same registry. */
export function inTreeRegistry(): PluginRegistry {
  const r = new PluginRegistry();
  r.add(prioritySort.NAME, prioritySort.prioritySort);
  r.add(gates.NAME, gates.schedulingGates);
  r.add(nodeName.NAME, nodeName.nodeName);
  r.add(nodeUnschedulable.NAME, nodeUnschedulable.nodeUnschedulable);
  r.add(taints.NAME, taints.taintToleration);
  r.add(nodeAffinity.NAME, nodeAffinity.nodeAffinity);
  r.add(nodePorts.NAME, nodePorts.nodePorts);
  r.add(fit.NAME, (args) => fit.nodeResourcesFit(args as { scoringStrategy?: fit.ScoringStrategy }));
  r.add(fit.BALANCED_NAME, fit.nodeResourcesBalancedAllocation);
  r.add(spread.NAME, spread.podTopologySpread);
  r.add(interPod.NAME, interPod.interPodAffinity);
  r.add(imageLocality.NAME, imageLocality.imageLocality);
  r.add(preemption.NAME, preemption.defaultPreemption);
  r.add(binder.NAME, binder.defaultBinder);
  return r;
}

/** kube-scheduler's default plugin set and score weights, in its order. */
export const DEFAULT_PLUGINS: readonly PluginConfig[] = [
  { name: prioritySort.NAME },
  { name: gates.NAME },
  { name: nodeUnschedulable.NAME },
  { name: nodeName.NAME },
  { name: taints.NAME, weight: 3 },
  { name: nodeAffinity.NAME, weight: 2 },
  { name: nodePorts.NAME },
  { name: fit.NAME, weight: 1 },
  { name: spread.NAME, weight: 2 },
  { name: interPod.NAME, weight: 2 },
  { name: preemption.NAME },
  { name: fit.BALANCED_NAME, weight: 1 },
  { name: imageLocality.NAME, weight: 1 },
  { name: binder.NAME },
];

export const defaultProfile = (schedulerName = 'default-scheduler'): Profile => ({ schedulerName, plugins: DEFAULT_PLUGINS });
