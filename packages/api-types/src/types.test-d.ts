import { expectTypeOf } from 'vitest';
import type { z } from 'zod';
import {
  RESOURCES, PodSchema, decodeObject, applyDefaults, listSchemaOf, podQOSClass, type Pod, type Deployment, type ResourceInfo,
  type Container, type ObjectMeta,
} from './index.js';

// Types are the schemas' inferences: fields carry their Kubernetes types and enums.
expectTypeOf<Pod['spec']>().toEqualTypeOf<z.infer<typeof PodSchema>['spec']>();
expectTypeOf<Container['name']>().toEqualTypeOf<string>();
expectTypeOf<NonNullable<Pod['spec']>['restartPolicy']>().toEqualTypeOf<'Always' | 'Never' | 'OnFailure' | undefined>();
expectTypeOf<NonNullable<NonNullable<Pod['status']>['phase']>>().toEqualTypeOf<'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown'>();
expectTypeOf<Pod['metadata']>().toEqualTypeOf<ObjectMeta>();

// Quantities accept numbers on input and are strings on output.
expectTypeOf<z.input<typeof PodSchema>>().toMatchTypeOf<{ spec?: { containers: { resources?: { limits?: Record<string, string | number> } }[] } }>();
expectTypeOf<NonNullable<NonNullable<Container['resources']>['limits']>[string]>().toEqualTypeOf<string>();

// The resource table is typed by kind, and its objects fit the client's KubeObject contract.
expectTypeOf(RESOURCES.pods).toEqualTypeOf<ResourceInfo<Pod>>();
expectTypeOf(RESOURCES.deployments).toEqualTypeOf<ResourceInfo<Deployment>>();
interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}
expectTypeOf<Pod>().toMatchTypeOf<KubeObjectLike>();
expectTypeOf<Deployment>().toMatchTypeOf<KubeObjectLike>();

// Entry points keep the kind's type.
expectTypeOf(decodeObject(RESOURCES.pods, {}).object).toEqualTypeOf<Pod>();
expectTypeOf(applyDefaults(RESOURCES.deployments, {} as Deployment)).toEqualTypeOf<Deployment>();
expectTypeOf(listSchemaOf(RESOURCES.pods).parse({}).items).toEqualTypeOf<Pod[]>();
expectTypeOf(podQOSClass).returns.toEqualTypeOf<'Guaranteed' | 'Burstable' | 'BestEffort'>();

// @ts-expect-error restartPolicy is an enum
export const badPolicy: NonNullable<Pod['spec']>['restartPolicy'] = 'Sometimes';
// @ts-expect-error containers are required in a pod spec
export const noContainers: NonNullable<Pod['spec']> = {};
