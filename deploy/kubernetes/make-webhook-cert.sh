#!/usr/bin/env bash
# TLS without cert-manager: makes a CA, the admission webhook's serving certificate and attestd's server
# certificate with openssl, and a kustomization that adds them (and the webhooks' caBundle) to an install.
#   deploy/kubernetes/make-webhook-cert.sh [OUT_DIR]     (default: deploy/kubernetes/generated)
#   kubectl apply -k OUT_DIR
# Writes OUT_DIR/{ca.crt,ca.key,tls.crt,tls.key,server.crt,server.key}, the Secrets attestd-admission-tls and
# attestd-server-tls (each with ca.crt), OUT_DIR/30-validating-webhooks.yaml (caBundle filled, for plain
# `kubectl apply -f`) and OUT_DIR/kustomization.yaml on top of BASE (default: deploy/kubernetes; give an overlay
# directory, e.g. BASE=deploy/kubernetes/overlays/ha, for one without the cert-manager component).
# The caBundle patch covers the mutating webhook too: add components (opt-in, tag-resolution) to
# OUT_DIR/kustomization.yaml.
# Run it again to rotate: the adapter and attestd serve the new certificates without a restart once the Secrets
# are updated. SERVICE / NAMESPACE / DAYS override the defaults (attestd-admission / attestd / 365).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/generated}"
base="$(cd "${BASE:-$here}" && pwd)"
service="${SERVICE:-attestd-admission}"
namespace="${NAMESPACE:-attestd}"
days="${DAYS:-365}"
command -v openssl >/dev/null || { echo "make-webhook-cert: openssl is required" >&2; exit 1; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
umask 077

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
  -keyout "$out/ca.key" -out "$out/ca.crt" -subj "/CN=attestd-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# leaf NAME SERVICE: OUT_DIR/NAME.{crt,key} for the Service's DNS names, signed by the CA.
leaf() {
  local name="$1" svc="$2"
  cat > "$out/san.cnf" <<CNF
[ext]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:${svc},DNS:${svc}.${namespace},DNS:${svc}.${namespace}.svc,DNS:${svc}.${namespace}.svc.cluster.local,IP:127.0.0.1
CNF
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$out/$name.key" -out "$out/$name.csr" \
    -subj "/CN=${svc}.${namespace}.svc" 2>/dev/null
  openssl x509 -req -sha256 -days "$days" -in "$out/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
    -CAcreateserial -extfile "$out/san.cnf" -extensions ext -out "$out/$name.crt" 2>/dev/null
  openssl verify -CAfile "$out/ca.crt" "$out/$name.crt" >/dev/null
  rm -f "$out/$name.csr" "$out/san.cnf" "$out/ca.srl"
}
leaf tls "$service"
leaf server attestd

b64() { base64 < "$1" | tr -d '\n'; }
# secret NAME CERT KEY: a kubernetes.io/tls Secret with ca.crt, as cert-manager writes them.
secret() {
  cat <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: $1
  namespace: ${namespace}
type: kubernetes.io/tls
data:
  ca.crt: $(b64 "$out/ca.crt")
  tls.crt: $(b64 "$out/$2")
  tls.key: $(b64 "$out/$3")
YAML
}
secret "${service}-tls" tls.crt tls.key > "$out/admission-tls-secret.yaml"
secret attestd-server-tls server.crt server.key > "$out/server-tls-secret.yaml"

ca_bundle="$(b64 "$out/ca.crt")"
sed -E -e "s|^( *)clientConfig:$|&\n\1  caBundle: ${ca_bundle}|" \
    -e "s|name: attestd-admission$|name: ${service}|" \
    -e "s|namespace: attestd$|namespace: ${namespace}|" \
    "$here/30-validating-webhooks.yaml" > "$out/30-validating-webhooks.yaml"

cat > "$out/kustomization.yaml" <<YAML
# Made by make-webhook-cert.sh: BASE plus the certificates it made and the webhooks' caBundle.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$out" "$base")
  - admission-tls-secret.yaml
  - server-tls-secret.yaml
patches:
  - target:
      group: admissionregistration.k8s.io
      kind: ValidatingWebhookConfiguration|MutatingWebhookConfiguration
    patch: |-
      - op: add
        path: /webhooks/0/clientConfig/caBundle
        value: ${ca_bundle}
YAML
chmod 0644 "$out"/*.crt "$out"/*.yaml
echo "make-webhook-cert: wrote $out (kubectl apply -k $out)"
