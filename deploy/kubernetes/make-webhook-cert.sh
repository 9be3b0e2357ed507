#!/usr/bin/env bash
# Makes the admission webhook's serving certificate with openssl and fills caBundle.
#   deploy/kubernetes/make-webhook-cert.sh [OUT_DIR]     (default: deploy/kubernetes/generated)
# Writes OUT_DIR/{ca.crt,ca.key,tls.crt,tls.key}, OUT_DIR/admission-tls-secret.yaml (Secret
# attestd-admission-tls) and OUT_DIR/30-validating-webhooks.yaml (caBundle filled). Then:
#   kubectl apply -f deploy/kubernetes/00-namespace.yaml -f OUT_DIR/admission-tls-secret.yaml \
#     -f deploy/kubernetes/10-admission-deployment.yaml -f deploy/kubernetes/20-admission-service.yaml \
#     -f OUT_DIR/30-validating-webhooks.yaml
# SERVICE / NAMESPACE / DAYS override the defaults (attestd-admission / attestd / 365).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/generated}"
service="${SERVICE:-attestd-admission}"
namespace="${NAMESPACE:-attestd}"
days="${DAYS:-365}"
command -v openssl >/dev/null || { echo "make-webhook-cert: openssl is required" >&2; exit 1; }
mkdir -p "$out"
umask 077

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
  -keyout "$out/ca.key" -out "$out/ca.crt" -subj "/CN=attestd-admission-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

cat > "$out/san.cnf" <<CNF
[ext]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:${service},DNS:${service}.${namespace},DNS:${service}.${namespace}.svc,DNS:${service}.${namespace}.svc.cluster.local,IP:127.0.0.1
CNF
openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$out/tls.key" -out "$out/tls.csr" \
  -subj "/CN=${service}.${namespace}.svc" 2>/dev/null
openssl x509 -req -sha256 -days "$days" -in "$out/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
  -CAcreateserial -extfile "$out/san.cnf" -extensions ext -out "$out/tls.crt" 2>/dev/null
openssl verify -CAfile "$out/ca.crt" "$out/tls.crt" >/dev/null
rm -f "$out/tls.csr" "$out/san.cnf" "$out/ca.srl"

b64() { base64 < "$1" | tr -d '\n'; }
cat > "$out/admission-tls-secret.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: ${service}-tls
  namespace: ${namespace}
type: kubernetes.io/tls
data:
  tls.crt: $(b64 "$out/tls.crt")
  tls.key: $(b64 "$out/tls.key")
YAML
ca_bundle="$(b64 "$out/ca.crt")"
sed -e "s|caBundle: CA_BUNDLE|caBundle: ${ca_bundle}|" \
    -e "s|name: attestd-admission$|name: ${service}|" \
    -e "s|namespace: attestd$|namespace: ${namespace}|" \
    "$here/30-validating-webhooks.yaml" > "$out/30-validating-webhooks.yaml"
chmod 0644 "$out"/*.crt "$out"/*.yaml
echo "make-webhook-cert: wrote $out (caBundle filled in $out/30-validating-webhooks.yaml)"
