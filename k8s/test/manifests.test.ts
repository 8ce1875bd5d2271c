/**
 * Renders every kustomize target under k8s/ (the base and each overlay) with `kubectl kustomize`,
 * validates every object against the Kubernetes OpenAPI schemas (kubernetes-models), and checks the
 * deployment rules of DESIGN §7: probes, resources, non-root read-only pods, HPA/PDB/ServiceAccount per
 * Deployment, headless Services for gRPC, no committed Secrets, only the gateway exposed, and a supergraph
 * ConfigMap that matches the committed federation-gateway/supergraph.graphql.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { IContainer, IPodSpec, IPodTemplateSpec } from 'kubernetes-models/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { IConfigMap, ISecret, IService, IServiceAccount } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import type { IDeployment, IStatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IIngress, INetworkPolicy, INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1';
import { validate as validateConfigMapSchema } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap';
import { validate as validateNamespaceSchema } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Namespace';
import { validate as validateSecretSchema } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Secret';
import { validate as validateServiceSchema } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Service';
import { validate as validateServiceAccountSchema } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount';
import { validate as validateDeploymentSchema } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment';
import { validate as validateStatefulSetSchema } from 'kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet';
import { validate as validateHpaSchema } from 'kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler';
import { validate as validatePdbSchema } from 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget';
import { validate as validateIngressSchema } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1Ingress';
import { validate as validateNetworkPolicySchema } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const k8sRoot = path.join(repoRoot, 'k8s');
const supergraphFile = path.join(repoRoot, 'federation-gateway/supergraph.graphql');

/** The kinds the manifests may use; anything else is a mistake or needs a deliberate entry here. */
const kinds: Record<string, { model: new (data: never) => { validate(): void }; schema: (data: unknown) => boolean }> = {
  'v1/ConfigMap': { model: ConfigMap, schema: validateConfigMapSchema },
  'v1/Namespace': { model: Namespace, schema: validateNamespaceSchema },
  'v1/Secret': { model: Secret, schema: validateSecretSchema },
  'v1/Service': { model: Service, schema: validateServiceSchema },
  'v1/ServiceAccount': { model: ServiceAccount, schema: validateServiceAccountSchema },
  'apps/v1/Deployment': { model: Deployment, schema: validateDeploymentSchema },
  'apps/v1/StatefulSet': { model: StatefulSet, schema: validateStatefulSetSchema },
  'autoscaling/v2/HorizontalPodAutoscaler': { model: HorizontalPodAutoscaler, schema: validateHpaSchema },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, schema: validatePdbSchema },
  'networking.k8s.io/v1/Ingress': { model: Ingress, schema: validateIngressSchema },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, schema: validateNetworkPolicySchema },
};

/**
 * Secrets an operator must create in production, by name and key (mirrors k8s/README.md). A new reference
 * fails here until it is documented. `optional` refs may be absent (Oracle keys when the fixture is used).
 */
const productionSecrets: Record<string, string[]> = {
  'master-data-database': ['DATABASE_URL'],
  'master-data-app': ['PAGE_TOKEN_SECRET'],
  'master-data-oracle': ['ORACLE_CONNECT_STRING', 'ORACLE_PASSWORD', 'ORACLE_USER'],
  redis: ['REDIS_URL'],
  'federation-gateway-tls': ['tls.crt', 'tls.key'],
  'identity-database': ['DATABASE_URL'],
  'identity-app': ['PAGE_TOKEN_SECRET'],
  'identity-signing-key': ['signing-key.pem'],
  'identity-bootstrap-admin': ['IDENTITY_BOOTSTRAP_ADMIN', 'IDENTITY_BOOTSTRAP_ADMIN_PASSWORD'],
};

/** The only peer outside the namespace allowed to reach non-gateway pods, and only on metrics ports. */
const monitoringNamespace = 'monitoring';
const gatewayName = 'federation-gateway';
const devOnlySecretMarker = 'dev-only-not-secret';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

type Workload = (IDeployment | IStatefulSet) & K8sObject;

interface Rendered {
  target: string;
  objects: K8sObject[];
}

function requireKubectl(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'kubectl');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry; keep looking
    }
  }
  throw new Error(
    'kubectl is not on PATH, so the k8s manifests cannot be rendered and validated. Install kubectl ≥ 1.30 ' +
      '(it bundles kustomize v5): https://kubernetes.io/docs/tasks/tools/#kubectl — e.g. ' +
      '`curl -LO https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl && install -m 0755 kubectl /usr/local/bin/`.',
  );
}

/** Renders one kustomize target; the supergraph generator reads outside k8s/, hence LoadRestrictionsNone. */
function render(kubectl: string, target: string): Rendered {
  let output: string;
  try {
    output = execFileSync(kubectl, ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', path.join(k8sRoot, target)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    const hint = existsSync(supergraphFile)
      ? ''
      : `\n${path.relative(repoRoot, supergraphFile)} does not exist yet: compose it with \`npm run compose\`.`;
    throw new Error(`kubectl kustomize k8s/${target} failed:\n${stderr}${hint}`);
  }
  const objects = parseAllDocuments(output).map((document) => {
    if (document.errors.length > 0) throw new Error(`k8s/${target}: unparseable YAML: ${document.errors[0]?.message}`);
    return document.toJS() as K8sObject;
  });
  return { target, objects: objects.filter((object) => object !== null).map(asApiServerDecodes) };
}

/**
 * kustomize wraps long base64 Secret values over several lines; the API server's base64 decoder (Go's
 * encoding/base64) ignores line breaks, while the schema's `byte` format does not — so compare what the
 * server would store.
 */
function asApiServerDecodes(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || typeof object.data !== 'object' || object.data === null) return object;
  const data = Object.fromEntries(Object.entries(object.data as Record<string, string>).map(([key, value]) => [key, value.replace(/[\r\n]/g, '')]));
  return { ...object, data };
}

/**
 * Field names the schema does not know (typos such as `readinesProbe`), which ajv's compiled validators
 * accept silently but `kubectl apply` (strict field validation) rejects. The validator reads exactly the
 * properties the schema declares, and enumerates the keys of maps; any key it never touched is unknown.
 */
function unknownFields(schema: (data: unknown) => boolean, object: unknown): string[] {
  const touched = new Map<object, { path: string; keys: Set<PropertyKey> }>();
  const proxies = new WeakMap<object, object>();
  const track = (value: unknown, at: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const existing = proxies.get(value);
    if (existing) return existing;
    const keys = new Set<PropertyKey>();
    touched.set(value, { path: at, keys });
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        keys.add(key);
        return track(Reflect.get(target, key, receiver), `${at}/${String(key)}`);
      },
      has(target, key) {
        keys.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        const own = Reflect.ownKeys(target);
        for (const key of own) keys.add(key);
        return own;
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  schema(track(object, ''));
  const unknown: string[] = [];
  for (const [value, { path: at, keys }] of touched) {
    if (Array.isArray(value)) continue;
    for (const key of Object.keys(value)) if (!keys.has(key)) unknown.push(`${at}/${key}`);
  }
  return unknown;
}

function describeObject(object: K8sObject): string {
  return `${object.kind}/${object.metadata?.name}`;
}

function ofKind<T>(objects: K8sObject[], kind: string): (T & K8sObject)[] {
  return objects.filter((object) => object.kind === kind) as (T & K8sObject)[];
}

function workloads(objects: K8sObject[]): Workload[] {
  return objects.filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet') as Workload[];
}

function podTemplate(workload: Workload): IPodTemplateSpec & { spec: IPodSpec } {
  const template = workload.spec?.template;
  if (!template?.spec) throw new Error(`${describeObject(workload)} has no pod template spec`);
  return template as IPodTemplateSpec & { spec: IPodSpec };
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** Environment of a container as the pod sees it: ConfigMap envFrom first, then explicit env entries. */
function containerEnvironment(objects: K8sObject[], container: IContainer): Map<string, string | { secret: string; key: string }> {
  const environment = new Map<string, string | { secret: string; key: string }>();
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) continue;
    const configMap = ofKind<IConfigMap>(objects, 'ConfigMap').find((candidate) => candidate.metadata.name === source.configMapRef?.name);
    for (const [key, value] of Object.entries(configMap?.data ?? {})) environment.set(key, value);
  }
  for (const variable of container.env ?? []) {
    const secretRef = variable.valueFrom?.secretKeyRef;
    if (secretRef) environment.set(variable.name, { secret: secretRef.name ?? '', key: secretRef.key });
    else if (variable.value !== undefined) environment.set(variable.name, variable.value);
  }
  return environment;
}

/** Secret names are generated with a content-hash suffix in dev; compare on the name kustomize started from. */
function secretBaseName(name: string, secrets: ISecret[]): string {
  const generated = secrets.find((secret) => secret.metadata?.name === name);
  return generated ? name.replace(/-[a-z0-9]{10}$/, '') : name;
}

function externalPeers(peers: INetworkPolicyPeer[] | undefined): 'everyone' | 'monitoring' | 'namespace' | 'mixed' {
  if (!peers || peers.length === 0) return 'everyone';
  let sawMonitoring = false;
  let sawExternal = false;
  for (const peer of peers) {
    if (peer.ipBlock) sawExternal = true;
    else if (peer.namespaceSelector) {
      const labels = peer.namespaceSelector.matchLabels ?? {};
      const onlyMonitoring =
        Object.keys(labels).length === 1 &&
        labels['kubernetes.io/metadata.name'] === monitoringNamespace &&
        !peer.namespaceSelector.matchExpressions?.length;
      if (onlyMonitoring) sawMonitoring = true;
      else sawExternal = true;
    }
  }
  if (sawExternal) return sawMonitoring ? 'mixed' : 'everyone';
  return sawMonitoring ? 'monitoring' : 'namespace';
}

/** The port (by number and by container port name) Prometheus scrapes on the pods a selector picks. */
function scrapePortsOf(objects: K8sObject[], selector: Record<string, string> | undefined): Set<string | number> {
  const ports = new Set<string | number>();
  for (const workload of workloads(objects)) {
    const pod = podTemplate(workload);
    if (!selects(selector, pod.metadata?.labels) || pod.metadata?.annotations?.['prometheus.io/scrape'] !== 'true') continue;
    const port = Number(pod.metadata.annotations['prometheus.io/port']);
    ports.add(port);
    for (const container of pod.spec.containers) {
      for (const declared of container.ports ?? []) if (declared.containerPort === port && declared.name) ports.add(declared.name);
    }
  }
  return ports;
}

const targets = ['base', ...readdirSync(path.join(k8sRoot, 'overlays')).map((overlay) => `overlays/${overlay}`)];
const rendered = new Map<string, Rendered>();
/** Kept and rethrown by every test, so a missing kubectl or a broken render fails each one (never skips). */
let renderFailure: Error | undefined;

function get(target: string): Rendered {
  if (renderFailure) throw renderFailure;
  const result = rendered.get(target);
  if (!result) throw new Error(`k8s/${target} was not rendered (see the first failure above)`);
  return result;
}

describe('k8s manifests', () => {
  beforeAll(() => {
    try {
      const kubectl = requireKubectl();
      for (const target of targets) rendered.set(target, render(kubectl, target));
    } catch (error) {
      renderFailure = error as Error;
    }
  });

  it('finds kubectl on PATH', () => {
    expect(requireKubectl()).toMatch(/kubectl$/);
  });

  it('has a dev and a prod overlay', () => {
    expect(targets).toEqual(expect.arrayContaining(['base', 'overlays/dev', 'overlays/prod']));
  });

  describe.each(targets)('k8s/%s', (target) => {
    it('renders only known kinds, each valid against the Kubernetes schema with no unknown fields', () => {
      const { objects } = get(target);
      expect(objects.length).toBeGreaterThan(0);
      const problems: string[] = [];
      for (const object of objects) {
        const kind = kinds[`${object.apiVersion}/${object.kind}`];
        if (!kind) {
          problems.push(`${describeObject(object)}: unknown kind ${object.apiVersion}/${object.kind}`);
          continue;
        }
        try {
          new kind.model(object as never).validate();
        } catch (error) {
          problems.push(`${describeObject(object)}: ${(error as Error).message}`);
        }
        for (const field of unknownFields(kind.schema, object)) problems.push(`${describeObject(object)}: unknown field ${field}`);
      }
      expect(problems).toEqual([]);
    });

    it('labels every object with app.kubernetes.io/name and part-of, pods included', () => {
      const missing: string[] = [];
      for (const object of get(target).objects) {
        if (['Namespace', 'ConfigMap', 'Secret'].includes(object.kind)) continue;
        for (const label of ['app.kubernetes.io/name', 'app.kubernetes.io/part-of']) {
          if (!object.metadata.labels?.[label]) missing.push(`${describeObject(object)} lacks ${label}`);
        }
      }
      for (const workload of workloads(get(target).objects)) {
        const labels = podTemplate(workload).metadata?.labels ?? {};
        if (labels['app.kubernetes.io/name'] !== workload.metadata.name) missing.push(`${describeObject(workload)} pods lack their name label`);
        if (!labels['app.kubernetes.io/part-of']) missing.push(`${describeObject(workload)} pods lack part-of`);
      }
      expect(missing).toEqual([]);
    });

    it('runs every container with probes, requests and limits, non-root, read-only, no capabilities', () => {
      const { objects } = get(target);
      const problems: string[] = [];
      const workloadList = workloads(objects);
      expect(workloadList.length).toBeGreaterThan(0);
      for (const workload of workloadList) {
        const where = describeObject(workload);
        const pod = podTemplate(workload).spec;
        if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: pod runAsNonRoot is not true`);
        if (pod.securityContext?.runAsUser === 0) problems.push(`${where}: pod runs as uid 0`);
        if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where}: seccomp profile is not RuntimeDefault`);
        if (pod.automountServiceAccountToken !== false) problems.push(`${where}: service account token is mounted`);
        if (pod.terminationGracePeriodSeconds === undefined) problems.push(`${where}: no terminationGracePeriodSeconds`);
        if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${where}: uses host namespaces`);
        const account = ofKind<IServiceAccount>(objects, 'ServiceAccount').find((candidate) => candidate.metadata.name === pod.serviceAccountName);
        if (!account) problems.push(`${where}: ServiceAccount ${pod.serviceAccountName ?? '(default)'} is not in the manifests`);
        else if (account.automountServiceAccountToken !== false) problems.push(`${where}: ServiceAccount ${account.metadata.name} automounts its token`);
        for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
          const at = `${where} container ${container.name}`;
          const isInit = pod.initContainers?.includes(container) ?? false;
          if (!isInit) {
            for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
              if (!container[probe]) problems.push(`${at}: no ${probe}`);
            }
          }
          for (const bound of ['requests', 'limits'] as const) {
            for (const resource of ['cpu', 'memory']) {
              if (container.resources?.[bound]?.[resource] === undefined) problems.push(`${at}: no ${resource} ${bound}`);
            }
          }
          const security = container.securityContext;
          if (security?.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
          if (security?.readOnlyRootFilesystem !== true) problems.push(`${at}: root filesystem is writable`);
          if (security?.privileged) problems.push(`${at}: privileged`);
          if (security?.runAsUser === 0) problems.push(`${at}: runs as uid 0`);
          if (security?.runAsNonRoot === false) problems.push(`${at}: runAsNonRoot overridden to false`);
          if (!security?.capabilities?.drop?.includes('ALL')) problems.push(`${at}: capabilities not dropped`);
          if (security?.capabilities?.add?.length) problems.push(`${at}: adds capabilities`);
          const image = container.image ?? '';
          const tag = image.includes('@sha256:') ? 'digest' : image.slice(image.lastIndexOf('/') + 1).split(':')[1];
          if (!tag || tag === 'latest') problems.push(`${at}: image ${image} has no fixed tag`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('gives every Deployment an autoscaler, a disruption budget, zone spreading and a writable /tmp only', () => {
      const { objects } = get(target);
      const problems: string[] = [];
      const deployments = ofKind<IDeployment>(objects, 'Deployment');
      expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual(
        ['federation-gateway', 'identity', 'identity-subgraph', 'master-data', 'master-data-subgraph'],
      );
      for (const deployment of deployments) {
        const where = describeObject(deployment);
        const pod = podTemplate(deployment as Workload);
        const podLabels = pod.metadata?.labels;
        if (deployment.spec?.replicas !== undefined) problems.push(`${where}: sets replicas, which fights its autoscaler`);
        const hpa = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
          (candidate) => candidate.spec?.scaleTargetRef.kind === 'Deployment' && candidate.spec.scaleTargetRef.name === deployment.metadata.name,
        );
        if (!hpa?.spec) problems.push(`${where}: no HorizontalPodAutoscaler`);
        else {
          if (!hpa.spec.metrics?.some((metric) => metric.resource?.name === 'cpu')) problems.push(`${where}: autoscaler does not scale on CPU`);
          if ((hpa.spec.minReplicas ?? 1) > hpa.spec.maxReplicas) problems.push(`${where}: minReplicas above maxReplicas`);
        }
        const pdb = ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget').find((candidate) =>
          selects(candidate.spec?.selector?.matchLabels, podLabels),
        );
        if (!pdb) problems.push(`${where}: no PodDisruptionBudget selects its pods`);
        else if (typeof pdb.spec?.minAvailable === 'number' && pdb.spec.minAvailable >= (hpa?.spec?.minReplicas ?? 1)) {
          problems.push(`${where}: PodDisruptionBudget minAvailable ${pdb.spec.minAvailable} would block every drain`);
        }
        const zones = pod.spec.topologySpreadConstraints?.some((constraint) => constraint.topologyKey === 'topology.kubernetes.io/zone');
        if (!zones) problems.push(`${where}: pods are not spread over zones`);
        const mounts = pod.spec.containers.flatMap((container) => container.volumeMounts ?? []);
        const tmp = mounts.find((mount) => mount.mountPath === '/tmp');
        const tmpVolume = pod.spec.volumes?.find((volume) => volume.name === tmp?.name);
        if (!tmpVolume?.emptyDir) problems.push(`${where}: /tmp is not an emptyDir (tsx caches its transpiled code there)`);
        const writable = mounts.filter((mount) => !mount.readOnly && mount.mountPath !== '/tmp');
        for (const mount of writable) problems.push(`${where}: writable mount ${mount.mountPath} besides /tmp`);
        const annotations = pod.metadata?.annotations ?? {};
        if (annotations['prometheus.io/scrape'] === 'true') {
          const port = Number(annotations['prometheus.io/port']);
          const declared = pod.spec.containers.some((container) => container.ports?.some((candidate) => candidate.containerPort === port));
          if (!declared) problems.push(`${where}: scraped on port ${annotations['prometheus.io/port']}, which no container declares`);
        }
      }
      for (const name of ['master-data', 'master-data-subgraph', 'identity', 'identity-subgraph', gatewayName]) {
        const deployment = deployments.find((candidate) => candidate.metadata.name === name);
        const annotations = deployment ? podTemplate(deployment as Workload).metadata?.annotations : undefined;
        if (annotations?.['prometheus.io/scrape'] !== 'true') problems.push(`${name}: metrics are not scraped`);
      }
      expect(problems).toEqual([]);
    });

    it('probes the gRPC services over grpc.health.v1 and balances their clients over headless Services', () => {
      const { objects } = get(target);
      const problems: string[] = [];
      const services = ofKind<IService>(objects, 'Service');
      for (const deployment of ofKind<IDeployment>(objects, 'Deployment')) {
        const pod = podTemplate(deployment as Workload);
        for (const container of pod.spec.containers) {
          const grpcPort = container.ports?.find((port) => port.name === 'grpc');
          if (!grpcPort) continue;
          const where = `${describeObject(deployment)} container ${container.name}`;
          for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
            if (container[probe]?.grpc?.port !== grpcPort.containerPort) problems.push(`${where}: ${probe} is not a gRPC health probe on ${grpcPort.containerPort}`);
          }
          const headless = services.find(
            (service) =>
              service.spec?.clusterIP === 'None' &&
              selects(service.spec.selector, pod.metadata?.labels) &&
              service.spec.ports?.some((port) => port.targetPort === 'grpc' || port.targetPort === grpcPort.containerPort),
          );
          if (!headless) problems.push(`${where}: no headless Service for client-side gRPC balancing`);
        }
      }
      const dialers = [
        { subgraph: 'master-data-subgraph', variable: 'MASTERDATA_GRPC_ADDRESS' },
        { subgraph: 'identity-subgraph', variable: 'IDENTITY_GRPC_ADDRESS' },
      ];
      for (const { subgraph: name, variable } of dialers) {
        const subgraph = ofKind<IDeployment>(objects, 'Deployment').find((deployment) => deployment.metadata.name === name);
        const subgraphContainer = subgraph ? podTemplate(subgraph as Workload).spec.containers[0] : undefined;
        const address = subgraphContainer ? containerEnvironment(objects, subgraphContainer).get(variable) : undefined;
        const match = typeof address === 'string' ? /^dns:\/\/\/([a-z0-9-]+):(\d+)$/.exec(address) : null;
        if (!match) problems.push(`${name}: ${variable} ${String(address)} is not dns:///<service>:<port>`);
        else {
          const service = services.find((candidate) => candidate.metadata.name === match[1]);
          if (service?.spec?.clusterIP !== 'None') problems.push(`${name} dials ${match[1]}, which is not a headless Service`);
          if (!service?.spec?.ports?.some((port) => port.port === Number(match[2]))) problems.push(`${match[1]} does not expose port ${match[2]}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('exposes only the gateway outside the namespace, and each backend only to its caller', () => {
      const { objects } = get(target);
      const problems: string[] = [];
      for (const service of ofKind<IService>(objects, 'Service')) {
        if (service.spec?.type && service.spec.type !== 'ClusterIP') problems.push(`${describeObject(service)} is of type ${service.spec.type}`);
      }
      const ingresses = ofKind<IIngress>(objects, 'Ingress');
      expect(ingresses.length).toBeGreaterThan(0);
      for (const ingress of ingresses) {
        const backends = [
          ingress.spec?.defaultBackend,
          ...(ingress.spec?.rules ?? []).flatMap((rule) => rule.http?.paths.map((route) => route.backend) ?? []),
        ].filter((backend) => backend !== undefined);
        for (const backend of backends) {
          if (backend.service?.name !== gatewayName) problems.push(`${describeObject(ingress)} routes to ${backend.service?.name ?? 'a resource'}`);
        }
        const paths = (ingress.spec?.rules ?? []).flatMap((rule) => rule.http?.paths.map((route) => route.path ?? '/') ?? []);
        for (const internal of paths.filter((route) => route === '/' || route.startsWith('/metrics') || route.startsWith('/health'))) {
          problems.push(`${describeObject(ingress)} publishes ${internal}, which must stay inside the cluster`);
        }
      }
      const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy');
      const defaultDeny = policies.find(
        (policy) =>
          Object.keys(policy.spec?.podSelector?.matchLabels ?? {}).length === 0 &&
          !policy.spec?.podSelector?.matchExpressions?.length &&
          policy.spec?.policyTypes?.includes('Ingress') &&
          !policy.spec.ingress?.length,
      );
      if (!defaultDeny) problems.push('no default-deny ingress NetworkPolicy');
      for (const policy of policies) {
        const isGateway = policy.spec?.podSelector?.matchLabels?.['app.kubernetes.io/name'] === gatewayName;
        for (const rule of policy.spec?.ingress ?? []) {
          const reach = externalPeers(rule.from);
          if ((reach === 'everyone' || reach === 'mixed') && !isGateway) problems.push(`${describeObject(policy)} admits traffic from outside the namespace`);
          if (reach === 'monitoring' && !isGateway) {
            const scrapePorts = scrapePortsOf(objects, policy.spec?.podSelector?.matchLabels);
            const beyond = (rule.ports ?? []).filter((port) => port.port === undefined || !scrapePorts.has(port.port));
            if (beyond.length > 0) problems.push(`${describeObject(policy)} admits the monitoring namespace beyond the scrape port`);
          }
          if (reach === 'monitoring' && !rule.ports?.length) problems.push(`${describeObject(policy)} admits monitoring on every port`);
        }
      }
      const callersOf = (name: string, port?: string): string[] =>
        policies
          .filter((policy) => policy.spec?.podSelector?.matchLabels?.['app.kubernetes.io/name'] === name)
          .flatMap((policy) => policy.spec?.ingress ?? [])
          .filter((rule) => port === undefined || rule.ports?.some((candidate) => candidate.port === port))
          .flatMap((rule) => rule.from ?? [])
          .filter((peer) => !peer.namespaceSelector && !peer.ipBlock)
          .map((peer) => JSON.stringify(peer.podSelector?.matchLabels ?? {}));
      expect(callersOf('master-data-subgraph')).toEqual([JSON.stringify({ 'app.kubernetes.io/name': gatewayName })]);
      expect(callersOf('master-data')).toEqual([
        JSON.stringify({ 'app.kubernetes.io/name': 'master-data-subgraph' }),
        JSON.stringify({ 'core.mesh/master-data-client': 'true' }),
      ]);
      expect(callersOf('identity-subgraph')).toEqual([JSON.stringify({ 'app.kubernetes.io/name': gatewayName })]);
      // identity's gRPC API (sign-in, administration) only from its subgraph and declared clients; its
      // public keys (HTTP) from every hop that verifies tokens.
      expect(callersOf('identity', 'grpc')).toEqual([
        JSON.stringify({ 'app.kubernetes.io/name': 'identity-subgraph' }),
        JSON.stringify({ 'core.mesh/identity-client': 'true' }),
      ]);
      expect(callersOf('identity', 'http')).toEqual([
        JSON.stringify({ 'app.kubernetes.io/name': gatewayName }),
        JSON.stringify({ 'app.kubernetes.io/name': 'master-data' }),
        JSON.stringify({ 'core.mesh/identity-client': 'true' }),
      ]);
      expect(problems).toEqual([]);
    });

    it('points the gateway at an existing subgraph Service and mounts the current supergraph', () => {
      const { objects } = get(target);
      const gateway = ofKind<IDeployment>(objects, 'Deployment').find((deployment) => deployment.metadata.name === gatewayName);
      expect(gateway, 'federation-gateway Deployment').toBeDefined();
      const pod = podTemplate(gateway as Workload);
      const container = pod.spec.containers[0] as IContainer;
      const environment = containerEnvironment(objects, container);
      expect(environment.get('NODE_ENV')).toBe('production');
      const subgraphServices: [variable: string, service: string][] = [
        ['SUBGRAPH_MASTERDATA_URL', 'master-data-subgraph'],
        ['SUBGRAPH_IDENTITY_URL', 'identity-subgraph'],
      ];
      for (const [variable, service] of subgraphServices) {
        const subgraphUrl = new URL(String(environment.get(variable)));
        expect(subgraphUrl.hostname, variable).toBe(service);
        const subgraphService = ofKind<IService>(objects, 'Service').find((candidate) => candidate.metadata.name === subgraphUrl.hostname);
        expect(subgraphService?.spec?.ports?.map((port) => port.port)).toContain(Number(subgraphUrl.port));
      }

      const supergraphPath = String(environment.get('SUPERGRAPH_PATH'));
      const mount = container.volumeMounts?.find((candidate) => supergraphPath.startsWith(`${candidate.mountPath}/`));
      const volume = pod.spec.volumes?.find((candidate) => candidate.name === mount?.name);
      const configMap = ofKind<IConfigMap>(objects, 'ConfigMap').find((candidate) => candidate.metadata.name === volume?.configMap?.name);
      expect(configMap, `ConfigMap mounted for ${supergraphPath}`).toBeDefined();
      const key = path.posix.relative(mount?.mountPath ?? '', supergraphPath);
      expect(configMap?.data?.[key]).toBe(readFileSync(supergraphFile, 'utf8'));
    });

    it('commits no Secret values outside the dev-only components, and every reference resolves or is documented', () => {
      const { objects } = get(target);
      const secrets = ofKind<ISecret>(objects, 'Secret');
      if (target !== 'overlays/dev') {
        expect(secrets.map((secret) => secret.metadata?.name)).toEqual([]);
      }
      for (const secret of secrets) {
        const values = [
          ...Object.values(secret.data ?? {}).map((value) => Buffer.from(value, 'base64').toString('utf8')),
          ...Object.values(secret.stringData ?? {}),
        ];
        for (const value of values) expect(value, `${secret.metadata?.name} holds a value that is not marked dev-only`).toContain(devOnlySecretMarker);
      }

      // `deployable`: referenced by a base Deployment or the Ingress, i.e. needed in production as well;
      // the dev-only StatefulSets' own Secrets come with their component and are not documented for prod.
      const references = new Map<string, { keys: Set<string>; optional: boolean; deployable: boolean }>();
      let deployable = false;
      const note = (name: string, key: string, optional: boolean): void => {
        const entry = references.get(name) ?? { keys: new Set<string>(), optional: true, deployable: false };
        entry.keys.add(key);
        entry.optional &&= optional;
        entry.deployable ||= deployable;
        references.set(name, entry);
      };
      for (const workload of workloads(objects)) {
        deployable = workload.kind === 'Deployment';
        const pod = podTemplate(workload).spec;
        for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
          for (const variable of container.env ?? []) {
            const ref = variable.valueFrom?.secretKeyRef;
            if (ref) note(ref.name ?? '', ref.key, ref.optional === true);
            const configRef = variable.valueFrom?.configMapKeyRef;
            if (configRef) note(`configmap:${configRef.name}`, configRef.key, configRef.optional === true);
          }
          for (const source of container.envFrom ?? []) {
            if (source.secretRef) note(source.secretRef.name ?? '', '*', source.secretRef.optional === true);
            if (source.configMapRef) note(`configmap:${source.configMapRef.name}`, '*', source.configMapRef.optional === true);
          }
        }
        for (const volume of pod.volumes ?? []) {
          if (volume.secret) note(volume.secret.secretName ?? '', '*', volume.secret.optional === true);
          if (volume.configMap) note(`configmap:${volume.configMap.name}`, '*', volume.configMap.optional === true);
        }
      }
      deployable = true;
      for (const ingress of ofKind<IIngress>(objects, 'Ingress')) {
        for (const tls of ingress.spec?.tls ?? []) if (tls.secretName) note(tls.secretName, 'tls.crt', false);
      }

      const configMaps = new Set(ofKind<IConfigMap>(objects, 'ConfigMap').map((configMap) => configMap.metadata.name));
      const unresolved: string[] = [];
      const undocumented: string[] = [];
      for (const [name, { keys, optional, deployable: fromDeployable }] of references) {
        if (name.startsWith('configmap:')) {
          if (!configMaps.has(name.slice('configmap:'.length)) && !optional) unresolved.push(name);
          continue;
        }
        const secret = secrets.find((candidate) => candidate.metadata?.name === name);
        if (target === 'overlays/dev') {
          // The dev namespace is self-contained: every required Secret comes from a dev-only component.
          if (!secret && !optional) unresolved.push(`secret:${name}`);
          for (const key of keys) if (secret && key !== '*' && secret.data?.[key] === undefined) unresolved.push(`secret:${name}/${key}`);
        }
        if (!fromDeployable) continue;
        const documented = productionSecrets[secretBaseName(name, secrets)];
        for (const key of keys) if (!documented || (key !== '*' && !documented.includes(key))) undocumented.push(`${name}/${key}`);
      }
      expect(unresolved).toEqual([]);
      expect(undocumented).toEqual([]);
      if (target === 'overlays/prod') {
        const required = [...references.entries()]
          .filter(([name, { optional }]) => !name.startsWith('configmap:') && !optional)
          .map(([name]) => name)
          .sort();
        expect(required).toEqual([
          'federation-gateway-tls',
          'identity-app',
          'identity-database',
          'identity-signing-key',
          'master-data-app',
          'master-data-database',
          'redis',
        ]);
      }
    });
  });

  describe('overlays/dev', () => {
    it('runs one replica of everything in core-dev on fixture data with in-cluster PostgreSQL and Redis', () => {
      const { objects } = get('overlays/dev');
      for (const object of objects) if (object.kind !== 'Namespace') expect(object.metadata.namespace, describeObject(object)).toBe('core-dev');
      for (const hpa of ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler')) expect(hpa.spec?.minReplicas, describeObject(hpa)).toBe(1);
      const masterData = ofKind<IDeployment>(objects, 'Deployment').find((deployment) => deployment.metadata.name === 'master-data');
      const environment = containerEnvironment(objects, podTemplate(masterData as Workload).spec.containers[0] as IContainer);
      expect(environment.get('MASTERDATA_SOURCE')).toBe('fixture');
      expect(ofKind<IStatefulSet>(objects, 'StatefulSet').map((statefulSet) => statefulSet.metadata.name).sort()).toEqual(['postgres', 'redis']);
      const database = environment.get('DATABASE_URL');
      expect(typeof database === 'object' && database.secret.startsWith('master-data-database-')).toBe(true);
    });

    it('lets dev identity generate its own key under /tmp on one replica, with demo accounts', () => {
      const { objects } = get('overlays/dev');
      const identity = ofKind<IDeployment>(objects, 'Deployment').find((deployment) => deployment.metadata.name === 'identity');
      const pod = podTemplate(identity as Workload).spec;
      const container = pod.containers[0] as IContainer;
      const environment = containerEnvironment(objects, container);
      expect(environment.get('NODE_ENV')).not.toBe('production');
      expect(environment.has('IDENTITY_SIGNING_KEY')).toBe(false);
      expect(String(environment.get('IDENTITY_KEY_DIR'))).toMatch(/^\/tmp\//);
      expect(environment.get('IDENTITY_SEED_DEMO')).toBe('true');
      expect(pod.volumes?.some((volume) => volume.secret)).toBe(false);
      const hpa = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find((candidate) => candidate.metadata.name === 'identity');
      expect(hpa?.spec?.maxReplicas).toBe(1);
      const database = environment.get('DATABASE_URL');
      expect(typeof database === 'object' && database.secret.startsWith('identity-database-')).toBe(true);
    });
  });

  describe('overlays/prod', () => {
    it('runs at least three replicas in core-prod on Oracle, with budgets that keep two pods serving', () => {
      const { objects } = get('overlays/prod');
      for (const object of objects) if (object.kind !== 'Namespace') expect(object.metadata.namespace, describeObject(object)).toBe('core-prod');
      const base = get('base').objects;
      for (const hpa of ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler')) {
        const baseHpa = ofKind<IHorizontalPodAutoscaler>(base, 'HorizontalPodAutoscaler').find((candidate) => candidate.metadata.name === hpa.metadata.name);
        expect(hpa.spec?.minReplicas, describeObject(hpa)).toBeGreaterThanOrEqual(3);
        expect(hpa.spec?.maxReplicas, describeObject(hpa)).toBeGreaterThan(baseHpa?.spec?.maxReplicas ?? Number.POSITIVE_INFINITY);
      }
      for (const pdb of ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget')) {
        expect(pdb.spec?.minAvailable, describeObject(pdb)).toBe(2);
        expect(pdb.spec?.maxUnavailable, describeObject(pdb)).toBeUndefined();
      }
      const masterData = ofKind<IDeployment>(objects, 'Deployment').find((deployment) => deployment.metadata.name === 'master-data');
      const environment = containerEnvironment(objects, podTemplate(masterData as Workload).spec.containers[0] as IContainer);
      expect(environment.get('MASTERDATA_SOURCE')).toBe('oracle');
      for (const variable of ['ORACLE_USER', 'ORACLE_PASSWORD', 'ORACLE_CONNECT_STRING']) {
        expect(environment.get(variable), variable).toEqual({ secret: 'master-data-oracle', key: variable });
      }
      expect(ofKind<IStatefulSet>(objects, 'StatefulSet')).toEqual([]);
      expect(ofKind<IIngress>(objects, 'Ingress')[0]?.spec?.tls?.[0]?.secretName).toBe('federation-gateway-tls');
    });

    it('signs tokens in prod with the key file of Secret identity-signing-key, mounted read-only, and seeds no demo accounts', () => {
      const { objects } = get('overlays/prod');
      const identity = ofKind<IDeployment>(objects, 'Deployment').find((deployment) => deployment.metadata.name === 'identity');
      const pod = podTemplate(identity as Workload).spec;
      const container = pod.containers[0] as IContainer;
      const environment = containerEnvironment(objects, container);
      expect(environment.get('NODE_ENV')).toBe('production');
      expect(environment.get('IDENTITY_SEED_DEMO')).toBe('false');
      const keyPath = String(environment.get('IDENTITY_SIGNING_KEY'));
      const mount = container.volumeMounts?.find((candidate) => keyPath.startsWith(`${candidate.mountPath}/`));
      expect(mount?.readOnly).toBe(true);
      const volume = pod.volumes?.find((candidate) => candidate.name === mount?.name);
      expect(volume?.secret?.secretName).toBe('identity-signing-key');
      expect(volume?.secret?.optional).not.toBe(true);
      const file = path.posix.relative(mount?.mountPath ?? '', keyPath);
      expect(volume?.secret?.items).toEqual([{ key: 'signing-key.pem', path: file }]);
    });
  });
});
