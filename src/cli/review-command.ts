import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { FlagError, parseFlags } from '../flags';

const USAGE = `usage: attestd review [FILE|-] --namespace N [flags]

Sends Kubernetes objects (kubectl … --dry-run=client -o json, or a List of them) to the admission
webhook as the API server would, and prints what kubectl would print. Exit 0 when every object is
admitted, 1 when one is denied, 2 for usage errors.

flags:
  --namespace N       the namespace the objects are created in (required)
  --webhook URL       the webhook (default https://127.0.0.1:$ADMISSION_PORT/validate, port 8443)
  --ca-bundle B64     trust the webhook's certificate: the caBundle attestd printed at start
  --ca-file FILE      trust this PEM certificate instead
  --insecure          do not check the webhook's certificate (loopback experiments only)
  --operation OP      CREATE (default) or UPDATE
  --user NAME         the requesting user recorded with the decision (default kubernetes-admin)`;

interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  items?: K8sObject[];
}

/** `attestd review`: try objects against the admission webhook without a cluster. */
export async function reviewCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(argv, {
      namespace: { type: 'string' },
      webhook: { type: 'string' },
      'ca-bundle': { type: 'string' },
      'ca-file': { type: 'string' },
      insecure: { type: 'boolean' },
      operation: { type: 'string' },
      user: { type: 'string' },
    });
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`attestd review: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { values } = parsed;
  const flag = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const namespace = flag('namespace');
  if (!namespace || parsed.positionals.length > 1) {
    process.stderr.write(`attestd review: ${namespace ? 'give at most one FILE' : '--namespace is required'}\n\n${USAGE}\n`);
    return 2;
  }
  const file = parsed.positionals[0] ?? '-';
  let objects: K8sObject[];
  try {
    const doc = JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8')) as K8sObject;
    objects = doc.kind === 'List' && Array.isArray(doc.items) ? doc.items : [doc];
  } catch (err) {
    process.stderr.write(
      `attestd review: ${file === '-' ? 'standard input' : file} is not a JSON Kubernetes object: ${(err as Error).message}\n`,
    );
    return 2;
  }
  const url = new URL(flag('webhook') ?? `https://127.0.0.1:${process.env.ADMISSION_PORT || '8443'}/validate`);
  const caFile = flag('ca-file');
  const caBundle = flag('ca-bundle');
  const ca = caFile ? fs.readFileSync(caFile, 'utf8') : caBundle ? Buffer.from(caBundle, 'base64').toString('utf8') : undefined;
  let denied = false;
  for (const object of objects) {
    const review = admissionReview(object, namespace, flag('operation') ?? 'CREATE', flag('user') ?? 'kubernetes-admin');
    let answer: { response?: { allowed?: boolean; status?: { message?: string }; warnings?: string[] } };
    try {
      answer = await post(url, review, { ca, insecure: values.insecure === true });
    } catch (err) {
      process.stderr.write(`Error from server (InternalError): failed calling webhook ${url.href}: ${(err as Error).message}\n`);
      return 1;
    }
    for (const w of answer.response?.warnings ?? []) process.stderr.write(`Warning: ${w}\n`);
    if (answer.response?.allowed) {
      process.stdout.write(`${resourceName(object)} admitted\n`);
    } else {
      denied = true;
      const hook = object.kind === 'Pod' ? 'kritis-validation-hook.grafeas.io' : 'kritis-validation-hook-deployments.grafeas.io';
      process.stderr.write(
        `Error from server: admission webhook "${hook}" denied the request: ${answer.response?.status?.message ?? ''}\n`,
      );
    }
  }
  return denied ? 1 : 0;
}

/** kubectl's way of naming an object: `deployment.apps/web`, `pod/web`. */
function resourceName(object: K8sObject): string {
  const group = (object.apiVersion ?? '').includes('/') ? `.${(object.apiVersion as string).split('/')[0]}` : '';
  return `${(object.kind ?? 'object').toLowerCase()}${group}/${object.metadata?.name ?? ''}`;
}

/** Wraps an object the way kube-apiserver does for a validating webhook. */
function admissionReview(object: K8sObject, namespace: string, operation: string, user: string): object {
  const [group, version] = (object.apiVersion ?? 'v1').includes('/')
    ? (object.apiVersion as string).split('/')
    : ['', object.apiVersion ?? 'v1'];
  const kind = object.kind ?? '';
  const resource = `${kind.toLowerCase()}${kind.endsWith('s') ? 'es' : 's'}`;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: crypto.randomUUID(),
      kind: { group, version, kind },
      resource: { group, version, resource },
      requestKind: { group, version, kind },
      requestResource: { group, version, resource },
      name: object.metadata?.name ?? '',
      namespace,
      operation,
      userInfo: { username: user, groups: ['system:authenticated'] },
      object: { ...object, metadata: { ...object.metadata, namespace } },
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions' },
    },
  };
}

function post(url: URL, body: object, tls: { ca?: string; insecure: boolean }): Promise<never> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
        ca: tls.ca,
        rejectUnauthorized: !tls.insecure,
        timeout: 15000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          try {
            resolve(JSON.parse(text) as never);
          } catch {
            reject(new Error('the webhook answered something that is not JSON'));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(payload);
  });
}
